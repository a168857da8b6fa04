import type { FerryApi } from './client';

/** What the CLI reads from /v1/jobs. */
export interface JobView {
  jobId: string;
  kind: string;
  status: string;
  resource: string;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  workflow?: { status: string } | null;
  progress?: { done: number; total: number | null; phase: string } | null;
}

export interface JobFilter {
  kind?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

export async function listJobs(api: FerryApi, f: JobFilter) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined) q.set(k, String(v));
  return await api.json<{ jobs: JobView[]; nextCursor: string | null }>('GET', `/v1/jobs?${q.toString()}`);
}

export const showJob = (api: FerryApi, id: string) =>
  api.json<JobView>('GET', `/v1/jobs/${encodeURIComponent(id)}`);

export const cancelJob = (api: FerryApi, id: string) =>
  api.json<JobView & { cancelRequested: boolean }>('DELETE', `/v1/jobs/${encodeURIComponent(id)}`);

/** A plain table, columns padded to their widest cell. */
export function table(jobs: JobView[]): string {
  const rows = [
    ['JOB', 'KIND', 'STATUS', 'CREATED', 'ERROR'],
    ...jobs.map((j) => [j.jobId, j.kind, j.status, j.createdAt.replace(/\.\d+Z$/, 'Z'), j.error ?? '']),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function describeJob(j: JobView): string {
  const progress = j.progress
    ? ` ${j.progress.phase} ${j.progress.total ? `${Math.round((100 * j.progress.done) / j.progress.total)}%` : j.progress.done}`
    : '';
  return [
    `job       ${j.jobId}`,
    `kind      ${j.kind}`,
    `status    ${j.status}${progress}`,
    `workflow  ${j.workflow?.status ?? 'not started'}`,
    `resource  ${j.resource}`,
    `created   ${j.createdAt}`,
    ...(j.finishedAt ? [`finished  ${j.finishedAt}`] : []),
    ...(j.error ? [`error     ${j.error}`] : []),
  ].join('\n');
}
