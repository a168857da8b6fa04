import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import type { FerryApi } from './client';
import { apiCommand, apiFrom, CliError, Exit, pathOf, positiveInt, print, type ApiOptions } from './context';
import { fields, moreLine, table, when } from './output';
import { ProgressBar } from './progress';

/** What the CLI reads from /v1/transfers. */
interface TransferView {
  id: string;
  serverId: string;
  remotePath: string;
  size: number;
  status: string;
  bucket: string;
  objectKey: string;
  sha256: string | null;
  bytesDone: number;
  error: string | null;
  attempts: number;
  workflowId: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: { done: number; total: number | null; phase: string; live: boolean };
}

const STATUSES = ['discovered', 'running', 'completed', 'skipped', 'failed', 'cancelled', 'rejected'];
const FINISHED = new Set(['completed', 'skipped', 'failed', 'cancelled', 'rejected']);
const POLL_MS = 1000;

function describeTransfer(t: TransferView): string {
  const share = t.size > 0 ? ` (${Math.round((100 * t.bytesDone) / t.size)}%)` : '';
  return fields([
    ['transfer', t.id],
    ['status', t.status === 'running' ? `running, ${t.progress.phase}${share}` : t.status],
    ['server', t.serverId],
    ['file', t.remotePath],
    ['size', `${t.size} bytes`],
    ['object', `s3://${t.bucket}/${t.objectKey}`],
    ['sha256', t.sha256],
    ['attempts', t.attempts],
    ['workflow', t.workflowId],
    ['started', when(t.startedAt)],
    ['finished', when(t.finishedAt)],
    ['error', t.error],
  ]);
}

/** Follows a transfer to its end with a progress bar (bytes) on stderr. */
async function watch(api: FerryApi, id: string): Promise<TransferView> {
  let view = await api.json<TransferView>('GET', pathOf('transfers', id));
  const bar = new ProgressBar('transfer ', Math.max(view.size, 1));
  while (!FINISHED.has(view.status)) {
    bar.set(view.bytesDone);
    await sleep(POLL_MS);
    view = await api.json<TransferView>('GET', pathOf('transfers', id));
  }
  bar.set(view.status === 'completed' ? view.size : view.bytesDone);
  bar.finish();
  return view;
}

interface ListFlags extends ApiOptions {
  server?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

export function transfersCommand(): Command {
  const transfers = new Command('transfers').description('files moved from SFTP servers to S3');

  apiCommand(transfers, 'list', 'list transfers, newest first')
    .option('--server <id>', "only this server's")
    .addOption(new Option('--status <status>', 'only transfers in this status').choices(STATUSES))
    .option('--limit <n>', 'at most N (default 100)', positiveInt)
    .option('--cursor <cursor>', 'the page after a previous one')
    .action(async (o: ListFlags) => {
      const q = new URLSearchParams();
      if (o.server) q.set('serverId', o.server);
      if (o.status) q.set('status', o.status);
      if (o.limit) q.set('limit', String(o.limit));
      if (o.cursor) q.set('cursor', o.cursor);
      const api = await apiFrom(o);
      const page = await api.json<{ transfers: TransferView[]; nextCursor: string | null }>(
        'GET',
        `/v1/transfers?${q.toString()}`,
      );
      print(
        o,
        page,
        (p) =>
          table(
            ['ID', 'STATUS', 'SIZE', 'FILE', 'OBJECT'],
            p.transfers.map((t) => [t.id, t.status, t.size, t.remotePath, `s3://${t.bucket}/${t.objectKey}`]),
          ) + moreLine(p.nextCursor),
      );
    });

  apiCommand(transfers, 'show <id>', 'show one transfer; --watch follows a running one to its end')
    .option('--watch', 'show progress until the transfer ends (exit 1 unless completed or skipped)')
    .action(async (id: string, o: ApiOptions & { watch?: boolean }) => {
      const api = await apiFrom(o);
      const view = o.watch
        ? await watch(api, id)
        : await api.json<TransferView>('GET', pathOf('transfers', id));
      print(o, view, describeTransfer);
      if (o.watch && view.status !== 'completed' && view.status !== 'skipped') {
        throw new CliError(`transfer ${id} ${view.status}`, Exit.jobFailed);
      }
    });

  apiCommand(transfers, 'retry <id>', 'run a failed or cancelled transfer again').action(
    async (id: string, o: ApiOptions) => {
      const answer = await (
        await apiFrom(o)
      ).json<{ workflowId: string }>('POST', pathOf('transfers', id, '/retry'));
      print(o, answer, (a) => `transfer ${id} queued again (workflow ${a.workflowId})`);
    },
  );

  apiCommand(transfers, 'cancel <id>', 'cancel a running transfer').action(
    async (id: string, o: ApiOptions) => {
      const answer = await (await apiFrom(o)).json<{ workflowId: string }>('DELETE', pathOf('transfers', id));
      print(o, answer, (a) => `transfer ${id} cancelling (workflow ${a.workflowId})`);
    },
  );

  return transfers;
}
