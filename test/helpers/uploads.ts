import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import express from 'express';
import { createApp } from '../../src/api/app';
import { isS3NotFound } from '../../src/lib/s3';
import { workflowIds } from '../../src/workflows/contract';
import { stagingPrefix } from '../../src/lib/upload-staging';
import { listStaged } from '../../src/lib/upload-staging';
import type { AssemblyStats } from '../../src/activities/uploads/types';
import type { TestDeps } from './deps';
import { TEST_TOKEN } from './env';
import { waitFor } from './wait';

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The fields tests read from upload answers (GET view, create, complete, chunk and cancel answers). */
export interface UploadBody {
  uploadId: string;
  jobId: string;
  status: string;
  progress: number | null;
  phase: string | null;
  bucket: string;
  key: string;
  sha256: string | null;
  receivedChunks: number[];
  receivedBytes: number;
  error: string | null;
  assembly: AssemblyStats;
  expiresAt: string;
  maxChunkBytes: number;
  duplicate: boolean;
  cancelRequested: boolean;
}

export interface Answer {
  status: number;
  body: UploadBody;
  /** The `error` of an error answer. */
  failure: { code: string; message: string; details?: { missingChunks?: number[] } };
  headers: Headers;
}

/**
 * The real API on an ephemeral port, behind a recorder of every chunk PUT
 * (upload ID → indexes, in arrival order), so tests can see what clients sent.
 */
export interface UploadsApi {
  url: string;
  chunkPuts: Map<string, number[]>;
  call(method: string, path: string, json?: unknown): Promise<Answer>;
  putChunk(uploadId: string, index: number, data: Buffer, headers?: Record<string, string>): Promise<Answer>;
  /** Creates an upload, sends `chunks` in the given order, completes it. */
  send(
    body: Record<string, unknown>,
    chunks: Buffer[],
    order?: number[],
  ): Promise<{ id: string; jobId: string }>;
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<UploadBody>;
  /** GET /v1/jobs/:id: the upload's job as the jobs API shows it. */
  job(jobId: string): Promise<{ kind: string; status: string; workflow: { status: string } | null }>;
  /** Stops the server and terminates the workflows of uploads this API created that still run. */
  close(): Promise<void>;
}

export async function startUploadsApi(deps: TestDeps): Promise<UploadsApi> {
  const chunkPuts = new Map<string, number[]>();
  const outer = express();
  outer.use((req, _res, next) => {
    const m = /^\/v1\/uploads\/([^/]+)\/chunks\/(\d+)$/.exec(req.path);
    if (req.method === 'PUT' && m) {
      const list = chunkPuts.get(m[1] as string) ?? [];
      list.push(Number(m[2]));
      chunkPuts.set(m[1] as string, list);
    }
    next();
  });
  outer.use(createApp(deps));
  const server = await new Promise<Server>((resolve) => {
    const s = outer.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  const created: string[] = [];
  async function answer(res: Response): Promise<Answer> {
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : {}) as { error?: unknown };
    return {
      status: res.status,
      body: parsed as UploadBody,
      failure: parsed.error as Answer['failure'],
      headers: res.headers,
    };
  }

  const api: UploadsApi = {
    url,
    chunkPuts,
    async call(method, path, json) {
      const headers = { ...auth, ...(json === undefined ? {} : { 'content-type': 'application/json' }) };
      const body = json === undefined ? undefined : JSON.stringify(json);
      const got = await answer(await fetch(url + path, { method, headers, ...(body ? { body } : {}) }));
      if (method === 'POST' && path === '/v1/uploads' && got.status === 201) created.push(got.body.uploadId);
      return got;
    },
    async putChunk(uploadId, index, data, headers = {}) {
      const res = await fetch(`${url}/v1/uploads/${uploadId}/chunks/${index}`, {
        method: 'PUT',
        headers: {
          ...auth,
          'content-type': 'application/octet-stream',
          'x-chunk-sha256': sha256(data),
          ...headers,
        },
        body: data,
      });
      return answer(res);
    },
    async send(body, chunks, order = chunks.map((_, i) => i)) {
      const created = await api.call('POST', '/v1/uploads', body);
      if (created.status !== 201)
        throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
      const id = created.body.uploadId;
      for (const i of order) {
        const put = await api.putChunk(id, i, chunks[i] as Buffer);
        if (put.status !== 201)
          throw new Error(`chunk ${i} answered ${put.status}: ${JSON.stringify(put.body)}`);
      }
      const done = await api.call('POST', `/v1/uploads/${id}/complete`, { chunkCount: chunks.length });
      if (done.status !== 202)
        throw new Error(`complete answered ${done.status}: ${JSON.stringify(done.body)}`);
      return { id, jobId: done.body.jobId };
    },
    async job(jobId) {
      const res = await fetch(`${url}/v1/jobs/${jobId}`, { headers: auth });
      if (res.status !== 200) throw new Error(`GET job ${jobId} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Awaited<ReturnType<UploadsApi['job']>>;
    },
    async waitForStatus(id, statuses, timeoutMs = 60_000) {
      return await waitFor(
        `upload ${id} to be ${statuses.join('|')}`,
        async () => {
          const got = await api.call('GET', `/v1/uploads/${id}`);
          return statuses.includes(got.body.status) ? got.body : undefined;
        },
        { timeoutMs, intervalMs: 50 },
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      for (const id of created) {
        const handle = deps.temporal.workflow.getHandle(workflowIds.upload(id));
        const { status } = await handle.describe();
        if (status.name === 'RUNNING') await handle.terminate('test finished');
      }
    },
  };
  return api;
}

/** Who (worker identity) completed each `assembleUploadParts` batch of an upload's job, from its workflow history. */
export async function batchCompletions(deps: TestDeps, jobId: string): Promise<string[]> {
  const events = (await deps.temporal.workflow.getHandle(jobId).fetchHistory()).events ?? [];
  const parts = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'assembleUploadParts')
      .map((e) => String(e.eventId)),
  );
  return events
    .map((e) => e.activityTaskCompletedEventAttributes)
    .filter((a) => a && parts.has(String(a.scheduledEventId)))
    .map((a) => a?.identity ?? '');
}

/** `count` chunks of `size` random bytes (random content makes a misplaced byte visible). */
export function chunksOf(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, () => randomBytes(size));
}

export async function objectExists(deps: TestDeps, key: string): Promise<boolean> {
  try {
    await deps.s3.send(new HeadObjectCommand({ Bucket: deps.config.FERRY_BUCKET, Key: key }));
    return true;
  } catch (err) {
    if (isS3NotFound(err)) return false;
    throw err;
  }
}

/** Keys still staged for an upload. */
export async function stagedKeys(deps: TestDeps, uploadId: string): Promise<string[]> {
  const prefix = stagingPrefix(deps.config.FERRY_STAGING_PREFIX, uploadId);
  return [...(await listStaged(deps.s3, deps.config.FERRY_BUCKET, prefix)).keys()];
}

/**
 * The staged chunks are removed just after the row reaches its final status
 * (the row first, so no chunk is accepted meanwhile): waits until none is
 * left, failing after 10 s.
 */
export async function assertNoStagedLeft(deps: TestDeps, uploadId: string): Promise<void> {
  await waitFor(
    `staged chunks of ${uploadId} removed`,
    async () => (await stagedKeys(deps, uploadId)).length === 0,
    { timeoutMs: 10_000 },
  );
}
