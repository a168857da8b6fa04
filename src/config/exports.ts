import { z } from 'zod';
import { bool } from './bool';

/** Settings of exports and batches (docs/exports.md). Part of the schema in ./schema.ts. */

export const exportSettings = {
  /**
   * Exports one worker streams at once (building, validating or delivering);
   * others wait for a slot. With EXPORT_MEMORY_MIB it bounds the worker's
   * memory under exports (docs/exports.md). @default 2
   */
  EXPORTS_PER_WORKER: z.coerce.number().int().min(1).max(64).default(2),
  /**
   * Memory one running export may use, in MiB: a quarter is the staged zip's
   * part size (two parts in flight plus one being joined), SFTP writes in
   * flight get an eighth. At least 24 (S3's 5 MiB minimum part). @default 64
   */
  EXPORT_MEMORY_MIB: z.coerce.number().int().min(24).max(4096).default(64),
  /** Seconds a failed export's staged zip is kept (0: removed at once). Cancelled exports' are removed at once. @default 86400 */
  EXPORT_KEEP_FAILED_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(365 * 86_400)
    .default(86400),
  /** Keep every staged zip (completed, failed or cancelled) for the operator to remove. @default false */
  EXPORT_KEEP_STAGED: bool.default(false),
  /**
   * Exports a batch workflow starts in one run before it waits for them and
   * continues as new: bounds its history (a few events per export; Temporal
   * allows 51,200) whatever the batch's size. @default 1000
   */
  BATCH_EXPORTS_PER_RUN: z.coerce.number().int().min(1).max(5000).default(1000),
};
