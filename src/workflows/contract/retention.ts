/** The retention part of the workflow contract (src/workflows/contract): input and result of `pruneRecords`. */

/** Input of the `pruneRecords` workflow, set by the retention schedule from the configuration. */
export interface PruneInput {
  /** Rows of finished work last updated this many days ago or earlier go (RETENTION_DAYS, above 0). */
  retentionDays: number;
  /** Rows one statement deletes at most (RETENTION_BATCH_ROWS). */
  batchRows: number;
}

/**
 * The kinds of record retention removes, in the order it removes them: a
 * batch's exports go before the batch (docs/retention.md).
 */
export const PRUNED_KINDS = ['transfers', 'uploads', 'events', 'exports', 'batches'] as const;
export type PrunedKind = (typeof PRUNED_KINDS)[number];

/** Input of the `pruneKind` activity: one kind, rows last updated before `cutoff` (ISO 8601). */
export interface PruneKindInput {
  kind: PrunedKind;
  cutoff: string;
  batchRows: number;
}

/** Rows deleted, by table: a kind's own table and its children's (`Transfer`, `TransferAttempt`, …). */
export type PrunedCounts = Record<string, number>;

/** What one clean-up run did: its cutoff and the rows it deleted, by table. */
export interface PruneResult {
  cutoff: string;
  deleted: PrunedCounts;
}
