import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import type { FerryApi } from './client';
import { apiCommand, apiFrom, CliError, collect, Exit, print, usageError, type ApiOptions } from './context';
import { fields } from './output';
import { ProgressBar } from './progress';

/** What the CLI reads from GET /v1/exports/:id. */
export interface ExportView {
  exportId: string;
  jobId: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  phase: string | null;
  progress: { bytesDone: number; bytesTotal: number | null } | null;
  archiveName: string;
  archiveSize: number | null;
  archiveSha256: string | null;
  remotePath: string | null;
  error: string | null;
  validatorReasons: unknown;
}

export interface ExportFlags extends ApiOptions {
  bucket?: string;
  key?: string[];
  prefix?: string;
  include?: string[];
  exclude?: string[];
  layout?: string;
  archive?: string;
  compression?: string;
  validator?: string;
  server?: string;
  dir?: string;
  overwrite?: boolean;
  file?: string;
  wait: boolean;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const POLL_MS = 1000;

/** `keep`, `flatten`, `strip:PREFIX` or `template:TEMPLATE`. */
function layoutOf(flag: string | undefined): Record<string, string> | undefined {
  if (flag === undefined) return undefined;
  const [mode = '', ...rest] = flag.split(':');
  const arg = rest.join(':');
  if (mode === 'strip') return { mode, prefix: arg };
  if (mode === 'template') return { mode, template: arg };
  return { mode };
}

/** The POST /v1/exports body: a JSON file, with flags given beside it taking precedence. */
async function exportRequest(f: ExportFlags): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (f.file) {
    try {
      base = JSON.parse(await readFile(f.file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw usageError(`--file ${f.file}: ${(err as Error).message}`);
    }
  }
  const body: Record<string, unknown> = { ...base };
  if (f.bucket !== undefined || f.key || f.prefix !== undefined) {
    body.sources = f.key
      ? { bucket: f.bucket, keys: f.key }
      : { bucket: f.bucket, prefix: f.prefix ?? '', include: f.include, exclude: f.exclude };
  }
  const target = (base.target as Record<string, unknown> | undefined) ?? {};
  if (f.server !== undefined || f.dir !== undefined) {
    body.target = {
      ...target,
      ...(f.server ? { serverId: f.server } : {}),
      ...(f.dir ? { directory: f.dir } : {}),
    };
  }
  if (f.layout !== undefined) body.layout = layoutOf(f.layout);
  if (f.archive !== undefined) body.archiveName = f.archive;
  if (f.compression !== undefined) body.compression = f.compression;
  if (f.validator !== undefined) body.validator = { url: f.validator };
  if (f.overwrite) body.overwrite = true;
  return body;
}

/** Starts an export and, unless `wait` is false, follows it to its end with a progress bar per phase. */
async function runExport(api: FerryApi, body: Record<string, unknown>, wait: boolean): Promise<ExportView> {
  const started = await api.json<{ exportId: string }>('POST', '/v1/exports', body);
  const path = `/v1/exports/${encodeURIComponent(started.exportId)}`;
  let view = await api.json<ExportView>('GET', path);
  if (!wait) return view;
  let bar: ProgressBar | null = null;
  let phase: string | null = null;
  while (!TERMINAL.has(view.status)) {
    if (view.phase !== phase) {
      bar?.finish();
      phase = view.phase;
      bar = phase ? new ProgressBar(phase.padEnd(10), 1, 'fraction') : null;
    }
    const p = view.progress;
    if (bar && p?.bytesTotal) bar.set(p.bytesDone / p.bytesTotal);
    await sleep(POLL_MS);
    view = await api.json<ExportView>('GET', path);
  }
  if (bar) {
    if (view.status === 'completed') bar.set(1);
    bar.finish();
  }
  return view;
}

/** Lines for people. */
function describeExport(view: ExportView): string {
  return fields([
    ['export', view.exportId],
    ['job', view.jobId],
    ['status', `${view.status}${view.phase ? ` (${view.phase})` : ''}`],
    ['file', view.remotePath],
    ['size', view.archiveSize === null ? null : `${view.archiveSize} bytes`],
    ['sha256', view.archiveSha256],
    ['error', view.error],
    ['reasons', view.validatorReasons ? JSON.stringify(view.validatorReasons) : null],
  ]);
}

/** `ferry export`: flags, or a JSON request file with flags replacing its fields. */
export function addExportCommand(program: Command): void {
  apiCommand(program, 'export', 'zip objects of a bucket and deliver the archive to a registered server')
    .option('--file <request.json>', 'a POST /v1/exports body; flags given beside it replace its fields')
    .option('--bucket <bucket>', 'source bucket')
    .option('--key <key>', 'an object to include (repeatable)', collect)
    .option('--prefix <prefix>', 'include the objects under PREFIX')
    .option('--include <glob>', 'with --prefix: only keys matching (repeatable)', collect)
    .option('--exclude <glob>', 'with --prefix: skip keys matching (repeatable)', collect)
    .option('--layout <layout>', 'keep | flatten | strip:PREFIX | template:{dir}/{name}')
    .option('--archive <name>', 'archive file name')
    .addOption(new Option('--compression <method>', 'zip method').choices(['store', 'deflate']))
    .option('--validator <url>', 'an HTTP validator that must accept the archive')
    .option('--server <id>', 'target server')
    .option('--dir <dir>', 'target directory')
    .option('--overwrite', 'replace a file of the same name')
    .option('--no-wait', 'print the accepted export instead of following it to its end')
    .action(async (o: ExportFlags) => {
      const view = await runExport(await apiFrom(o), await exportRequest(o), o.wait);
      print(o, view, describeExport);
      if (view.status === 'failed' || view.status === 'cancelled') {
        throw new CliError(`export ${view.exportId} ${view.status}`, Exit.jobFailed);
      }
    });
}
