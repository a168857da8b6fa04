import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, type FerryApi, type UploadView } from './client';
import { CliError, Exit, usageError } from './context';
import { ProgressBar } from './progress';
import { forgetState, loadState, saveState, type FileIdentity, type UploadState } from './state';

export interface UploadOptions {
  file: string;
  chunkSize: number;
  parallel: number;
  key: string | null;
}

export interface UploadReport {
  uploadId: string;
  jobId: string;
  bucket: string;
  key: string;
  size: number;
  sha256: string;
  chunks: number;
  /** Indexes this run sent (a resumed run sends only what the API did not have). */
  chunksSent: number[];
  bytesSent: number;
  sendSeconds: number;
  resumed: boolean;
  assembly: Record<string, number> | null;
}

/**
 * Tries of one chunk, waiting 0.5 s, 1 s, 2 s … at most 10 s between them:
 * about 35 s in all, which rides out an API process restarting.
 */
const ATTEMPTS = 8;
/** The API's limit (one S3 part at most per chunk, S3 allows 10,000). */
const MAX_CHUNKS = 10_000;
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);

/** One read of the file: the whole-file SHA-256 and one per chunk, for the API to check. */
async function hashFile(file: string, size: number, chunkSize: number) {
  const bar = new ProgressBar('hashing  ', size);
  const whole = createHash('sha256');
  const chunkSha256: string[] = [];
  let chunk = createHash('sha256');
  let inChunk = 0;
  for await (const buf of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    whole.update(buf);
    for (let o = 0; o < buf.length;) {
      const take = Math.min(buf.length - o, chunkSize - inChunk);
      chunk.update(buf.subarray(o, o + take));
      inChunk += take;
      o += take;
      if (inChunk === chunkSize) {
        chunkSha256.push(chunk.digest('hex'));
        chunk = createHash('sha256');
        inChunk = 0;
      }
    }
    bar.add(buf.length);
  }
  if (inChunk > 0) chunkSha256.push(chunk.digest('hex'));
  bar.finish();
  return { sha256: whole.digest('hex'), chunkSha256 };
}

/** Sends `indexes` with `parallel` requests in flight; transient failures are retried with backoff. */
async function sendChunks(
  api: FerryApi,
  file: string,
  state: UploadState,
  indexes: number[],
  parallel: number,
) {
  const chunkBytes = (i: number) => Math.min(state.chunkSize, state.size - i * state.chunkSize);
  const bar = new ProgressBar(
    'uploading',
    indexes.reduce((n, i) => n + chunkBytes(i), 0),
  );
  const sent: number[] = [];
  let next = 0;
  let failure: Error | undefined;

  async function sendOne(i: number): Promise<void> {
    const start = i * state.chunkSize;
    const range = { start, end: start + chunkBytes(i), sha256: state.chunkSha256[i] as string };
    for (let attempt = 1; ; attempt++) {
      let counted = 0;
      try {
        await api.putChunk(state.uploadId, i, file, range, (n) => {
          counted += n;
          bar.add(n);
        });
        return;
      } catch (err) {
        bar.add(-counted);
        const retryable = !(err instanceof ApiError) || err.retryable;
        if (!retryable || attempt === ATTEMPTS) throw err;
        await sleep(Math.min(500 * 2 ** (attempt - 1), 10_000));
      }
    }
  }

  const lane = async (): Promise<void> => {
    while (failure === undefined && next < indexes.length) {
      const i = indexes[next++] as number;
      try {
        await sendOne(i);
        sent.push(i);
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, indexes.length)) }, lane));
  bar.finish();
  if (failure) throw failure;
  return { sent, seconds: bar.elapsedSeconds };
}

/** Polls the upload until it is completed, failed, cancelled or expired, showing the assembly's progress. */
export async function waitForOutcome(api: FerryApi, uploadId: string): Promise<UploadView> {
  let view = await api.getUpload(uploadId);
  const bar = new ProgressBar('assembling', 1, 'fraction');
  let shown = 0;
  while (!TERMINAL.has(view.status)) {
    await sleep(250);
    view = await api.getUpload(uploadId);
    // null: the worker did not answer the progress query in time; keep what was shown.
    if (view.progress !== null && view.progress > shown) bar.set((shown = view.progress));
  }
  bar.set(1);
  bar.finish();
  return view;
}

/** Opens the upload recorded for this file version, or creates one (hashing the file first). */
async function openUpload(api: FerryApi, o: UploadOptions, id: FileIdentity) {
  const saved = await loadState(id);
  if (saved) {
    const view = await api.getUpload(saved.uploadId).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    });
    if (view && view.status !== 'cancelled' && view.status !== 'expired')
      return { state: saved, view, resumed: true };
  }
  const sums = await hashFile(id.path, id.size, o.chunkSize);
  const view = await api.json<UploadView>('POST', '/v1/uploads', {
    filename: path.basename(id.path),
    size: id.size,
    sha256: sums.sha256,
    ...(o.key ? { key: o.key } : {}),
  });
  const state: UploadState = { uploadId: view.uploadId, size: id.size, chunkSize: o.chunkSize, ...sums };
  await saveState(id, state);
  return { state, view, resumed: false };
}

/**
 * `ferry upload`: split, send in parallel, complete, wait. Killed and run again,
 * it picks the same upload up and sends only the chunks the API lacks.
 */
export async function uploadFile(api: FerryApi, o: UploadOptions): Promise<UploadReport> {
  const file = path.resolve(o.file);
  const info = await stat(file);
  if (!info.isFile()) throw usageError(`${o.file} is not a regular file`);
  const needed = Math.ceil(info.size / o.chunkSize);
  if (needed > MAX_CHUNKS) {
    const mib = Math.ceil(info.size / MAX_CHUNKS / 1024 / 1024);
    throw usageError(
      `${o.file} needs ${needed} chunks, the API takes ${MAX_CHUNKS}: use --chunk-size ${mib} or more`,
    );
  }
  const id: FileIdentity = {
    path: file,
    size: info.size,
    mtimeMs: info.mtimeMs,
    apiUrl: api.baseUrl,
    key: o.key,
    chunkSize: o.chunkSize,
  };
  const { state, view, resumed } = await openUpload(api, o, id);
  const chunks = state.chunkSha256.length;
  let sending = { sent: [] as number[], seconds: 0 };
  if (view.status === 'receiving') {
    const have = new Set(view.receivedChunks);
    const missing = [...Array(chunks).keys()].filter((i) => !have.has(i));
    sending = await sendChunks(api, file, state, missing, o.parallel);
    await api.json('POST', `/v1/uploads/${state.uploadId}/complete`, { chunkCount: chunks });
  }
  const final = await waitForOutcome(api, state.uploadId);
  await forgetState(id);
  if (final.status !== 'completed') {
    const reason = final.error ? `: ${final.error}` : '';
    throw new CliError(`upload ${state.uploadId} ${final.status}${reason}`, Exit.jobFailed);
  }
  const chunkBytes = (i: number) => Math.min(state.chunkSize, state.size - i * state.chunkSize);
  return {
    uploadId: final.uploadId,
    jobId: final.jobId,
    bucket: final.bucket,
    key: final.key,
    size: state.size,
    sha256: state.sha256,
    chunks,
    chunksSent: sending.sent.sort((a, b) => a - b),
    bytesSent: sending.sent.reduce((n, i) => n + chunkBytes(i), 0),
    sendSeconds: sending.seconds,
    resumed,
    assembly: final.assembly,
  };
}
