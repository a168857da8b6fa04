/**
 * Names shared by worker, API, CLI and tests: queries, signals and the
 * deterministic workflow IDs that make Temporal de-duplicate Ferry's work.
 * Imported by workflow code too, so it must stay deterministic (no Node APIs).
 */
import { defineQuery } from '@temporalio/workflow';

export interface Progress {
  /** Bytes (or units) done so far. */
  done: number;
  /** Total, when known. */
  total: number | null;
  /** Free-form phase name, e.g. "reading", "verifying". */
  phase: string;
}

/** Every long-running Ferry workflow answers this query. */
export const progressQuery = defineQuery<Progress>('progress');

export const workflowIds = {
  /** One scan per server at a time. */
  scan: (serverId: string): string => `ferry-scan-${serverId}`,
  /** Schedule that starts the scans of a server. */
  scanSchedule: (serverId: string): string => `ferry-scan-schedule-${serverId}`,
  /** One assembly per upload, ever. */
  upload: (uploadId: string): string => `ferry-upload-${uploadId}`,
};
