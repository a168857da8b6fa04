import { z } from 'zod';
import { NotFoundError } from '../lib/errors';

/** The textual form of a UUID, as PostgreSQL's uuid type accepts it. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A resource ID in a path (`/v1/servers/{id}`); /openapi.json describes path parameters with it. */
export const resourceIdParam = z.string().regex(UUID);

/**
 * Resource IDs are UUIDs. Anything else names nothing, so it is a 404 like an
 * unknown ID, and never reaches the database (where it would be a type error).
 */
export function resourceId(value: unknown, what: string): string {
  const id = typeof value === 'string' ? value : '';
  if (!resourceIdParam.safeParse(id).success) throw new NotFoundError(what, id.slice(0, 100));
  return id.toLowerCase();
}
