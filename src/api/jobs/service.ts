import { WorkflowNotFoundError } from '@temporalio/client';
import { Prisma } from '../../generated/prisma/client';
import { ConflictError, NotFoundError } from '../../lib/errors';
import { progressQuery, type Progress } from '../../workflows/contract';
import { decodeKeyset, encodeKeyset } from '../cursor';
import type { ApiDeps } from '../deps';
import { cancelJobOfKind } from './cancel';
import { ACTIVE, isJobId, type JobKind, type JobStatus, type ListJobsQuery } from './schema';

/** A row of the view "Job" (prisma/migrations/20261129221000_jobs_batches): one per job of any kind. */
export interface JobRow {
  kind: JobKind;
  workflowId: string;
  /** The ID of the kind's own resource (upload, transfer, export, batch). */
  refId: string;
  status: JobStatus;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The batch an export belongs to. */
  batchId: string | null;
}

/** What Temporal says of the job's workflow (its latest run); `UNKNOWN` when Temporal did not answer in time. */
export interface WorkflowView {
  status: string;
  runId: string | null;
  startedAt: Date | null;
  closedAt: Date | null;
}

/** How long a GET waits for Temporal's answers before showing the row alone. */
const TEMPORAL_DEADLINE_MS = 2_000;

// The view's timestamps are UTC without a zone (as Prisma writes them): compare as such.
const at = (d: Date) => Prisma.sql`${d.toISOString()}::timestamp(3)`;

export async function listJobs({ db }: ApiDeps, q: ListJobsQuery) {
  const where: Prisma.Sql[] = [];
  if (q.kind) where.push(Prisma.sql`"kind" = ${q.kind}::"JobKind"`);
  if (q.status) {
    const statuses = q.status === 'active' ? ACTIVE : [q.status];
    where.push(Prisma.sql`"status"::text IN (${Prisma.join(statuses)})`);
  }
  if (q.cursor) {
    const after = decodeKeyset(q.cursor, isJobId);
    where.push(Prisma.sql`("createdAt", "workflowId") < (${at(after.createdAt)}, ${after.id})`);
  }
  const rows = await db.$queryRaw<JobRow[]>`
    SELECT * FROM "Job"
     ${where.length ? Prisma.sql`WHERE ${Prisma.join(where, ' AND ')}` : Prisma.empty}
     ORDER BY "createdAt" DESC, "workflowId" DESC
     LIMIT ${q.limit + 1}`;
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    jobs: page,
    nextCursor:
      rows.length > q.limit && last ? encodeKeyset({ createdAt: last.createdAt, id: last.workflowId }) : null,
  };
}

export async function findJob({ db }: ApiDeps, jobId: string): Promise<JobRow> {
  const [row] = await db.$queryRaw<JobRow[]>`SELECT * FROM "Job" WHERE "workflowId" = ${jobId}`;
  if (!row) throw new NotFoundError('job', jobId);
  return row;
}

/** The workflow's own status, and its progress while it runs; null parts when Temporal has none or is slow. */
export async function inspectWorkflow(
  { temporal, log }: ApiDeps,
  row: JobRow,
): Promise<{ workflow: WorkflowView | null; progress: Progress | null }> {
  const handle = temporal.workflow.getHandle(row.workflowId);
  let workflow: WorkflowView | null = null;
  try {
    const d = await temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => handle.describe());
    workflow = {
      status: d.status.name,
      runId: d.runId,
      startedAt: d.startTime,
      closedAt: d.closeTime ?? null,
    };
  } catch (err) {
    // Not found is an answer (the workflow has not started, e.g. an export waiting in its batch).
    if (!(err instanceof WorkflowNotFoundError)) {
      log.warn({ err, workflowId: row.workflowId }, 'Temporal did not describe the workflow');
      workflow = { status: 'UNKNOWN', runId: null, startedAt: null, closedAt: null };
    }
  }
  let progress: Progress | null = null;
  if (workflow?.status === 'RUNNING') {
    progress = await temporal
      .withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => handle.query(progressQuery))
      .catch((err: unknown) => {
        log.debug({ err, workflowId: row.workflowId }, 'progress query unanswered; showing the row');
        return null;
      });
  }
  return { workflow, progress };
}

/**
 * DELETE /v1/jobs/:id: the kind's own cancellation (the one its resource's
 * DELETE runs). A cancelled job answers as it is; a finished one is a 409.
 */
export async function cancelJob(deps: ApiDeps, row: JobRow): Promise<{ cancelRequested: boolean }> {
  if (row.status === 'cancelled') return { cancelRequested: false };
  if (row.status === 'completed' || row.status === 'failed') {
    throw new ConflictError(`job ${row.workflowId} is ${row.status}; there is nothing to cancel`);
  }
  await cancelJobOfKind(deps, row.kind, row.refId);
  return { cancelRequested: true };
}
