import { z } from 'zod';

/**
 * How long Ferry keeps the rows of finished work, and how it removes older
 * ones (docs/retention.md). Part of the schema in ./schema.ts.
 */
export const retention = {
  /**
   * Days the rows of finished transfers, uploads, exports, batches and events
   * are kept after their last update; 0 keeps them forever (no clean-up
   * schedule). A transfer row also waits until its file is gone from the
   * server. @default 30
   */
  RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(30),
  /** Seconds between two runs of the clean-up schedule. @default 3600 */
  RETENTION_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(3600),
  /** Rows one clean-up statement deletes at most; it repeats until none is left. @default 1000 */
  RETENTION_BATCH_ROWS: z.coerce.number().int().min(1).max(100_000).default(1000),
};
