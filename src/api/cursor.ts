import { ValidationError } from '../lib/errors';

/**
 * Keyset pagination, newest first. The cursor is opaque to clients: base64url
 * of the last row's (createdAt, id), which is stable while rows are added (no
 * skipped or repeated rows, unlike offsets). Each listing says what its IDs
 * look like, so a forged cursor is a 400 and never reaches the database.
 */
export interface Keyset {
  createdAt: Date;
  id: string;
}

export function encodeKeyset(row: Keyset): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeKeyset(cursor: string, isId: (id: string) => boolean): Keyset {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [at, id] = parsed as unknown[];
      const createdAt = new Date(typeof at === 'string' ? at : NaN);
      if (plausible(createdAt) && typeof id === 'string' && isId(id)) {
        return { createdAt, id };
      }
    }
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  throw new ValidationError('invalid query', [
    { path: 'cursor', message: 'is not a cursor this API returned' },
  ]);
}

/** Rows are created now; any other date (e.g. beyond PostgreSQL's range) is a forged cursor. */
function plausible(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(year) && year >= 2000 && year <= 9999;
}
