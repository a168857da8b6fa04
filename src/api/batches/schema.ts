import { z } from 'zod';
import { ValidationError } from '../../lib/errors';
import { createExportBody } from '../exports/schema';

/** Exports one batch may hold (each is a row; the workflow pages through them). */
export const MAX_BATCH_EXPORTS = 10_000;
/** Exports a batch runs at once, at most (Temporal allows 2,000 open children per workflow). */
export const MAX_CONCURRENCY = 100;

/** POST /v1/exports/batch: each export exactly as POST /v1/exports takes it. */
export const createBatchBody = z.strictObject({
  exports: z
    .array(
      createExportBody.refine((e) => e.clientRequestId === undefined, {
        message: 'an export of a batch takes no clientRequestId: give the batch one (or an Idempotency-Key)',
        path: ['clientRequestId'],
      }),
    )
    .min(1)
    .max(MAX_BATCH_EXPORTS),
  concurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(4),
  /** Same as the Idempotency-Key header: a repeated request returns the same batch. */
  clientRequestId: z.string().min(1).max(255).optional(),
});
export type CreateBatchBody = z.infer<typeof createBatchBody>;

/** GET /v1/batches/:id pages through the batch's exports in request order. */
export const batchExportsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(100).optional(),
});
export type BatchExportsQuery = z.infer<typeof batchExportsQuery>;

/** The cursor is opaque to clients: the index of the last export shown. */
export function encodeIndexCursor(index: number): string {
  return Buffer.from(JSON.stringify([index])).toString('base64url');
}

export function decodeIndexCursor(cursor: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const index = Array.isArray(parsed) ? (parsed[0] as unknown) : undefined;
    if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < MAX_BATCH_EXPORTS) {
      return index;
    }
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  throw new ValidationError('invalid query', [
    { path: 'cursor', message: 'is not a cursor this API returned' },
  ]);
}
