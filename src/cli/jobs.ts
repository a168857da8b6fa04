import { Command, Option } from 'commander';
import { apiCommand, apiFrom, pathOf, positiveInt, print, type ApiOptions } from './context';
import { fields, moreLine, table, when } from './output';

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

const KINDS = ['transfer', 'upload', 'export', 'batch', 'event'];
const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'active'];

export interface JobFilter {
  kind?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

export async function listJobs(o: ApiOptions, f: JobFilter) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined) q.set(k, String(v));
  const api = await apiFrom(o);
  return await api.json<{ jobs: JobView[]; nextCursor: string | null }>('GET', `/v1/jobs?${q.toString()}`);
}

export const jobsTable = (page: { jobs: JobView[]; nextCursor: string | null }): string =>
  table(
    ['JOB', 'KIND', 'STATUS', 'CREATED', 'ERROR'],
    page.jobs.map((j) => [j.jobId, j.kind, j.status, when(j.createdAt), j.error]),
  ) + moreLine(page.nextCursor);

export function describeJob(j: JobView): string {
  const p = j.progress;
  const progress = p ? ` ${p.phase} ${p.total ? `${Math.round((100 * p.done) / p.total)}%` : p.done}` : '';
  return fields([
    ['job', j.jobId],
    ['kind', j.kind],
    ['status', `${j.status}${progress}`],
    ['workflow', j.workflow?.status ?? 'not started'],
    ['resource', j.resource],
    ['created', when(j.createdAt)],
    ['finished', when(j.finishedAt)],
    ['error', j.error],
  ]);
}

export function jobsCommand(): Command {
  const jobs = new Command('jobs').description(
    'every kind of job (transfers, uploads, exports, batches, events)',
  );

  apiCommand(jobs, 'list', 'list jobs, newest first (the default)', { isDefault: true })
    .addOption(new Option('--kind <kind>', 'only jobs of this kind').choices(KINDS))
    .addOption(
      new Option('--status <status>', 'only this status; active = queued or running').choices(STATUSES),
    )
    .option('--limit <n>', 'at most N (default 100)', positiveInt)
    .option('--cursor <cursor>', 'the page after a previous one')
    .action(async (o: ApiOptions & JobFilter) => {
      const { kind, status, limit, cursor } = o;
      print(o, await listJobs(o, { kind, status, limit, cursor }), jobsTable);
    });

  apiCommand(jobs, 'show <jobId>', 'one job, its workflow and live progress').action(
    async (id: string, o: ApiOptions) => {
      print(o, await (await apiFrom(o)).json<JobView>('GET', pathOf('jobs', id)), describeJob);
    },
  );

  apiCommand(jobs, 'cancel <jobId>', 'cancel a job whatever its kind').action(
    async (id: string, o: ApiOptions) => {
      const job = await (
        await apiFrom(o)
      ).json<JobView & { cancelRequested: boolean }>('DELETE', pathOf('jobs', id));
      print(
        o,
        job,
        (j) => `${describeJob(j)}\n${j.cancelRequested ? 'cancel requested' : 'already finished'}`,
      );
    },
  );

  return jobs;
}
