import { parseArgs } from 'node:util';
import { FerryApi } from './client';
import { describeExport, exportRequest, runExport } from './export';
import { cancelJob, describeJob, listJobs, showJob, table } from './jobs';
import { uploadFile } from './upload';

const MiB = 1024 * 1024;

const USAGE = `usage:
  ferry upload FILE [--chunk-size MiB] [--parallel N] [--key KEY] [--api URL] [--token T] [--json]
  ferry status UPLOAD_ID [--api URL] [--token T] [--json]
  ferry export [--file REQUEST.json] [--bucket B (--key K ... | --prefix P [--include G ...] [--exclude G ...])]
               [--archive NAME] [--server ID] [--dir DIR] [--layout keep|flatten|strip:P|template:T]
               [--compression store|deflate] [--validator URL] [--overwrite] [--no-wait] [--json]
  ferry jobs [list] [--kind transfer|upload|export|batch] [--status S|active] [--limit N] [--json]
  ferry jobs show JOB_ID [--json]
  ferry jobs cancel JOB_ID [--json]

  --chunk-size  chunk size in MiB (default 8; chunks of 5 MiB or more are copied server-side)
  --parallel    chunks sent at once (default 4)
  --key         object key (default uploads/<upload id>/<file name>)
  --api         API base URL (default $FERRY_API_URL, else http://127.0.0.1:8080)
  --token       bearer token (default $FERRY_API_TOKEN)
  --json        print the result as one JSON object
  --file        a JSON file with the POST /v1/exports body; flags given beside it replace its fields
  --no-wait     print the accepted export instead of following it to its end

An interrupted \`ferry upload\` resumes when run again with the same file and options.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const common = {
  api: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function positiveInt(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${what} must be a positive integer, not "${value}"`);
  return n;
}

function apiFrom(values: { api?: string; token?: string }): FerryApi {
  const token = values.token ?? process.env.FERRY_API_TOKEN;
  if (!token) throw new UsageError('no API token: pass --token or set FERRY_API_TOKEN');
  return new FerryApi(values.api ?? process.env.FERRY_API_URL ?? 'http://127.0.0.1:8080', token);
}

async function upload(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...common,
      'chunk-size': { type: 'string' },
      parallel: { type: 'string' },
      key: { type: 'string' },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError('ferry upload takes exactly one FILE');
  const report = await uploadFile(apiFrom(values), {
    file: positionals[0] as string,
    chunkSize: positiveInt(values['chunk-size'], 8, '--chunk-size') * MiB,
    parallel: positiveInt(values.parallel, 4, '--parallel'),
    key: values.key ?? null,
  });
  if (values.json) return void console.log(JSON.stringify(report));
  console.log(`uploaded ${positionals[0]} to s3://${report.bucket}/${report.key}`);
  console.log(`sha256 ${report.sha256}`);
}

async function status(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: common });
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError('ferry status takes exactly one UPLOAD_ID');
  const view = await apiFrom(values).getUpload(positionals[0] as string);
  if (values.json) return void console.log(JSON.stringify(view));
  const lines = [
    `upload   ${view.uploadId}`,
    `status   ${view.status}${view.status === 'processing' && view.progress !== null ? ` ${(view.progress * 100).toFixed(0)}%` : ''}`,
    `object   s3://${view.bucket}/${view.key}`,
    `chunks   ${view.receivedChunks.length} received`,
    ...(view.sha256 ? [`sha256   ${view.sha256}`] : []),
    ...(view.error ? [`error    ${view.error}`] : []),
  ];
  console.log(lines.join('\n'));
}

async function exportCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...common,
      file: { type: 'string' },
      bucket: { type: 'string' },
      key: { type: 'string', multiple: true },
      prefix: { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      layout: { type: 'string' },
      archive: { type: 'string' },
      compression: { type: 'string' },
      validator: { type: 'string' },
      server: { type: 'string' },
      dir: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
      'no-wait': { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length) throw new UsageError('ferry export takes no positional arguments');
  const body = await exportRequest(values.file, values);
  const view = await runExport(apiFrom(values), body, !values['no-wait']);
  console.log(values.json ? JSON.stringify(view) : describeExport(view));
  if (view.status === 'failed' || view.status === 'cancelled') process.exitCode = 1;
}

async function jobs(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...common,
      kind: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const [action = 'list', id, ...extra] = positionals;
  const api = apiFrom(values);
  if (action === 'list' && id === undefined) {
    const limit = values.limit === undefined ? undefined : positiveInt(values.limit, 100, '--limit');
    const page = await listJobs(api, {
      kind: values.kind,
      status: values.status,
      limit,
      cursor: values.cursor,
    });
    if (values.json) return void console.log(JSON.stringify(page));
    console.log(table(page.jobs));
    if (page.nextCursor) console.log(`more: --cursor ${page.nextCursor}`);
    return;
  }
  if ((action === 'show' || action === 'cancel') && id !== undefined && extra.length === 0) {
    const job = action === 'show' ? await showJob(api, id) : await cancelJob(api, id);
    return void console.log(values.json ? JSON.stringify(job) : describeJob(job));
  }
  throw new UsageError('ferry jobs takes list, show JOB_ID or cancel JOB_ID');
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  upload,
  status,
  export: exportCommand,
  jobs,
};

/** Runs one CLI command; resolves to the process exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(
      name && name !== '--help' && name !== '-h' ? `ferry: unknown command "${name}"\n${USAGE}` : USAGE,
    );
    return name === '--help' || name === '-h' ? 0 : 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`ferry: ${(err as Error).message}`);
    return usage ? 2 : 1;
  }
}
