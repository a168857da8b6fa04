import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FerryApi } from './client';
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

export interface ExportFlags {
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
export async function exportRequest(
  file: string | undefined,
  f: ExportFlags,
): Promise<Record<string, unknown>> {
  const base = file ? (JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>) : {};
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
export async function runExport(
  api: FerryApi,
  body: Record<string, unknown>,
  wait: boolean,
): Promise<ExportView> {
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
export function describeExport(view: ExportView): string {
  return [
    `export   ${view.exportId}`,
    `job      ${view.jobId}`,
    `status   ${view.status}${view.phase ? ` (${view.phase})` : ''}`,
    ...(view.remotePath ? [`file     ${view.remotePath}`] : []),
    ...(view.archiveSize !== null ? [`size     ${view.archiveSize} bytes`] : []),
    ...(view.archiveSha256 ? [`sha256   ${view.archiveSha256}`] : []),
    ...(view.error ? [`error    ${view.error}`] : []),
    ...(view.validatorReasons ? [`reasons  ${JSON.stringify(view.validatorReasons)}`] : []),
  ].join('\n');
}
