import { z } from 'zod';
import { NotFoundError } from '../../lib/errors';

/** Kinds of job the API lists (scans are not jobs here: a server's schedule runs them). */
export const JOB_KINDS = ['transfer', 'upload', 'export', 'batch', 'event'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** `active`: queued or running. */
export const ACTIVE: readonly JobStatus[] = ['queued', 'running'];

export const listJobsQuery = z.object({
  kind: z.enum(JOB_KINDS).optional(),
  status: z.enum([...JOB_STATUSES, 'active']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(400).optional(),
});
export type ListJobsQuery = z.infer<typeof listJobsQuery>;

/**
 * A job's ID is its workflow ID (`ferry-<kind>-…`, src/workflows/contract/),
 * the `jobId` every resource answers with. Anything else names no job.
 */
export const jobIdSchema = z.string().regex(/^ferry-(transfer|upload|export|batch|event)-[0-9a-z-]{1,120}$/);

export function isJobId(value: string): boolean {
  return jobIdSchema.safeParse(value).success;
}

export function jobIdParam(value: unknown): string {
  const id = typeof value === 'string' ? value : '';
  if (!isJobId(id)) throw new NotFoundError('job', id.slice(0, 140));
  return id;
}
