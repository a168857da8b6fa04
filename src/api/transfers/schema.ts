import { z } from 'zod';
import { UUID } from '../params';

const STATUSES = [
  'discovered',
  'running',
  'completed',
  'skipped',
  'failed',
  'cancelled',
  'rejected',
] as const;

/** GET /v1/transfers; `cursor` is decoded by ./cursor.ts once the query is valid. */
export const listQuery = z.object({
  serverId: z.string().regex(UUID, 'must be a server ID (UUID)').optional(),
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

export type ListQuery = z.infer<typeof listQuery>;
