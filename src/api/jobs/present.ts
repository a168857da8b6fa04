import type { Progress } from '../../workflows/contract';
import type { JobRow, WorkflowView } from './service';

/** Where the job's own resource lives. */
const RESOURCE: Record<JobRow['kind'], (id: string) => string> = {
  transfer: (id) => `/v1/transfers/${id}`,
  upload: (id) => `/v1/uploads/${id}`,
  export: (id) => `/v1/exports/${id}`,
  batch: (id) => `/v1/batches/${id}`,
  event: (id) => `/v1/events/${id}`,
};

/** A job as listed: the row only. Its ID is its workflow ID. */
export function presentJob(row: JobRow) {
  return {
    jobId: row.workflowId,
    kind: row.kind,
    status: row.status,
    workflowId: row.workflowId,
    resourceId: row.refId,
    resource: RESOURCE[row.kind](row.refId),
    batchId: row.batchId,
    error: row.error,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

/** One job: the row, what Temporal says of its workflow, and live progress while it runs. */
export function presentJobDetail(row: JobRow, workflow: WorkflowView | null, progress: Progress | null) {
  return { ...presentJob(row), workflow, progress };
}
