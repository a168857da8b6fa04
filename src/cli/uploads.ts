import { type Command } from 'commander';
import type { UploadView } from './client';
import { apiCommand, apiFrom, pathOf, positiveInt, print, type ApiOptions } from './context';
import { jobsTable, listJobs } from './jobs';
import { fields } from './output';
import { uploadFile } from './upload';

const MiB = 1024 * 1024;

interface UploadFlags extends ApiOptions {
  chunkSize: number;
  parallel: number;
  key?: string;
}

function describeUpload(view: UploadView): string {
  const share =
    view.status === 'processing' && view.progress !== null ? ` ${(view.progress * 100).toFixed(0)}%` : '';
  return fields([
    ['upload', view.uploadId],
    ['status', `${view.status}${share}`],
    ['object', `s3://${view.bucket}/${view.key}`],
    ['chunks', `${view.receivedChunks.length} received`],
    ['sha256', view.sha256],
    ['error', view.error],
  ]);
}

async function showUpload(id: string, o: ApiOptions): Promise<void> {
  print(o, await (await apiFrom(o)).getUpload(id), describeUpload);
}

/** `ferry upload FILE` and `ferry status ID` (PRODUCT names them so), and the `ferry uploads` group. */
export function addUploadCommands(program: Command): void {
  apiCommand(program, 'upload <file>', 'upload a file in chunks; run again after an interruption to resume')
    .option(
      '--chunk-size <MiB>',
      'chunk size; chunks of 5 MiB or more are copied server-side',
      positiveInt,
      8,
    )
    .option('--parallel <n>', 'chunks sent at once', positiveInt, 4)
    .option('--key <key>', 'object key (default uploads/<upload id>/<file name>)')
    .action(async (file: string, o: UploadFlags) => {
      const api = await apiFrom(o);
      const options = { file, chunkSize: o.chunkSize * MiB, parallel: o.parallel, key: o.key ?? null };
      const report = await uploadFile(api, options);
      print(o, report, (r) => `uploaded ${file} to s3://${r.bucket}/${r.key}\nsha256 ${r.sha256}`);
    });

  apiCommand(program, 'status <uploadId>', 'show an upload (as `ferry uploads show`)').action(showUpload);

  const uploads = program
    .command('uploads')
    .description('uploads through the API (send one with `ferry upload`)');
  apiCommand(uploads, 'list', 'list upload jobs, newest first')
    .option('--status <status>', 'queued | running | completed | failed | cancelled | active')
    .option('--limit <n>', 'at most N (default 100)', positiveInt)
    .option('--cursor <cursor>', 'the page after a previous one')
    .action(async (o: ApiOptions & { status?: string; limit?: number; cursor?: string }) => {
      const { status, limit, cursor } = o;
      print(o, await listJobs(o, { kind: 'upload', status, limit, cursor }), jobsTable);
    });
  apiCommand(uploads, 'show <uploadId>', 'show one upload, its chunks and assembly progress').action(
    showUpload,
  );
  apiCommand(uploads, 'cancel <uploadId>', 'cancel an upload and drop its chunks').action(
    async (id: string, o: ApiOptions) => {
      const answer = await (
        await apiFrom(o)
      ).json<{ status: string; cancelRequested?: boolean }>('DELETE', pathOf('uploads', id));
      print(o, answer, (a) => `upload ${id} ${a.cancelRequested ? 'cancelling' : a.status}`);
    },
  );
}
