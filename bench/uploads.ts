/**
 * Chunked uploads benchmark (issue 4): `npm run bench:uploads`, which starts
 * the local services first. Starts the real API and worker as
 * their own processes on a private task queue, writes 1 GiB of random data to
 * a temporary directory, and measures:
 *   - POST /complete latency (p50/p99) for uploads of 1 MiB, 64 MiB and 1 GiB,
 *     and its split between the database and Temporal (the API's Server-Timing);
 *   - 1 GiB assembled from 64 MiB chunks, from 1 MiB chunks, and with the
 *     whole-file SHA-256 check, against one plain PutObject of the file, with
 *     the bytes that passed through the worker (or the uploader) for each;
 *   - chunk ingest through the API with `ferry upload --parallel 4`.
 * Prints a table, then one JSON line with every figure.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { FerryApi } from '../src/cli/client';
import { loadConfig } from '../src/config';
import { migrate } from '../src/db/migrate';
import { createS3 } from '../src/lib/s3';
import { ensureBucket } from './lib/deps';
import { servicesEnv } from './lib/env';
import { repoRoot } from './lib/paths';
import { freePort, startProcess } from './lib/processes';
import { waitFor } from './lib/wait';
import { MiB, GiB } from '../src/lib/units';

const TOKEN = 'bench-token';
const run = Date.now().toString(36);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...servicesEnv,
  DATABASE_URL: servicesEnv.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ferry_test',
  API_TOKENS: TOKEN,
  FERRY_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
  FERRY_BUCKET: 'ferry-bench',
  TEMPORAL_TASK_QUEUE: `bench-uploads-${run}`,
  WORKER_METRICS_PORT: '0',
  LOG_LEVEL: 'info',
};
const config = loadConfig(env);
const s3 = createS3(config);

interface Sample {
  completeMs: number;
  /** The API's own split of `complete`, from its Server-Timing header (ms). */
  dbMs: number;
  temporalMs: number;
  /** From the request reaching the route to the answer, inside the API. */
  apiMs: number;
  assemblyMs: number;
  bytesThroughWorker: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function writeRandomFile(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  for (let done = 0; done < size; done += 64 * MiB) {
    if (!out.write(randomBytes(Math.min(64 * MiB, size - done))))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
}

/** SHA-256 of each chunk of the first `size` bytes, and of all of them. */
async function checksums(file: string, size: number, chunkSize: number) {
  const chunks: string[] = [];
  const whole = createHash('sha256');
  for (let start = 0; start < size; start += chunkSize) {
    const h = createHash('sha256');
    const end = Math.min(size, start + chunkSize);
    for await (const buf of createReadStream(file, { start, end: end - 1, highWaterMark: MiB })) {
      h.update(buf as Buffer);
      whole.update(buf as Buffer);
    }
    chunks.push(h.digest('hex'));
  }
  return { chunks, sha256: whole.digest('hex') };
}

/** One upload of the first `size` bytes of `file` through the API; times `complete` and the assembly. */
async function uploadOnce(
  api: FerryApi,
  file: string,
  size: number,
  chunkSize: number,
  sums: { chunks: string[]; sha256: string },
  verify: boolean,
): Promise<Sample> {
  const key = `bench/${run}/${randomBytes(4).toString('hex')}.bin`;
  const created = await api.json<{ uploadId: string }>('POST', '/v1/uploads', {
    filename: 'bench.bin',
    key,
    size,
    ...(verify ? { sha256: sums.sha256 } : {}),
  });
  const id = created.uploadId;
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < sums.chunks.length; i = next++) {
      const start = i * chunkSize;
      const range = { start, end: Math.min(size, start + chunkSize), sha256: sums.chunks[i] as string };
      await api.putChunk(id, i, file, range, () => undefined);
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  // The harness has just streamed `size` bytes itself: collect its own garbage
  // now (bench:uploads runs with --expose-gc), so that a GC pause of this
  // process is not timed as the API's latency.
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const res = await fetch(new URL(`/v1/uploads/${id}/complete`, api.baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ chunkCount: sums.chunks.length }),
  });
  await res.text();
  const completeMs = performance.now() - t0;
  if (res.status !== 202) throw new Error(`complete answered ${res.status}`);
  const timing = serverTiming(res.headers.get('server-timing'));
  const done = await waitFor(
    `upload ${id}`,
    async () => {
      const view = await api.getUpload(id);
      return view.status === 'completed' || view.status === 'failed' ? view : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 20 },
  );
  const assemblyMs = performance.now() - t0;
  if (done.status !== 'completed') throw new Error(`upload ${id} failed: ${done.error}`);
  await s3.send(new DeleteObjectCommand({ Bucket: config.FERRY_BUCKET, Key: key }));
  return {
    completeMs,
    dbMs: timing.db ?? NaN,
    temporalMs: timing.temporal ?? NaN,
    apiMs: timing.total ?? NaN,
    assemblyMs,
    bytesThroughWorker: done.assembly?.bytesThroughWorker ?? NaN,
  };
}

/** `db;dur=7.1, temporal;dur=6.2` → { db: 7.1, temporal: 6.2 } */
function serverTiming(header: string | null): Record<string, number> {
  const timing: Record<string, number> = {};
  for (const entry of (header ?? '').split(',')) {
    const m = /^\s*(\w+);dur=([\d.]+)/.exec(entry);
    if (m?.[1] && m[2]) timing[m[1]] = Number(m[2]);
  }
  return timing;
}

type Proc = ReturnType<typeof startProcess>;

/** Waits for `ready`, failing at once (with the process's output) if the process exits first. */
async function whenReady(proc: Proc, what: string, ready: () => Promise<boolean> | boolean): Promise<void> {
  let exited = false;
  void proc.exited.then(() => (exited = true));
  await waitFor(
    what,
    async () => {
      if (exited) throw new Error(`${what} exited:\n${proc.output()}`);
      return await ready();
    },
    { timeoutMs: 120_000 },
  ).catch((err: Error) => Promise.reject(new Error(`${err.message}\n${proc.output()}`)));
}

/** Starts the API and a worker, adding them to `procs` at once so they are stopped whatever happens. */
async function startServices(port: number, procs: Proc[]): Promise<void> {
  const tsx = (entry: string): string[] => ['--import', 'tsx', path.join(repoRoot, entry)];
  const apiEnv = { ...env, API_PORT: String(port), LOG_LEVEL: 'warn' };
  const apiProc = startProcess(process.execPath, tsx('src/api/main.ts'), apiEnv);
  procs.push(apiProc);
  const workerProc = startProcess(process.execPath, tsx('src/worker.ts'), env);
  procs.push(workerProc);
  await whenReady(workerProc, 'the worker', () => workerProc.output().includes('ferry worker running'));
  await whenReady(apiProc, 'the API', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
}

/** `ferry upload` as a user runs it; returns the CLI's own report. */
async function cliUpload(apiUrl: string, file: string, stateDir: string) {
  const args = [
    path.join(repoRoot, 'bin/ferry.js'),
    'upload',
    file,
    '--parallel',
    '4',
    '--chunk-size',
    '8',
    '--json',
  ];
  const child = spawn(process.execPath, [...args, '--key', `bench/${run}/cli.bin`], {
    env: { ...process.env, FERRY_API_URL: apiUrl, FERRY_API_TOKEN: TOKEN, FERRY_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`ferry upload exited ${code}`);
  const report = JSON.parse(out) as { bytesSent: number; sendSeconds: number; key: string };
  await s3.send(new DeleteObjectCommand({ Bucket: config.FERRY_BUCKET, Key: report.key }));
  return report;
}

async function main(): Promise<void> {
  await migrate(config.DATABASE_URL);
  await ensureBucket(s3, config.FERRY_BUCKET);
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-bench-uploads-'));
  const port = await freePort();
  const procs: Proc[] = [];
  try {
    await startServices(port, procs);
    const apiUrl = `http://127.0.0.1:${port}`;
    const api = new FerryApi(apiUrl, TOKEN);
    const file = path.join(dir, 'data.bin');
    await writeRandomFile(file, GiB);

    const latency: Record<
      string,
      {
        p50: number;
        p99: number;
        samples: number;
        assemblyP50: number;
        dbP50: number;
        dbP99: number;
        temporalP50: number;
        temporalP99: number;
        apiP50: number;
        apiP99: number;
      }
    > = {};
    for (const [label, size, samples] of [
      // Enough samples that the p99 is not just the slowest one (except for 1 GiB, which takes seconds each).
      ['1MiB', MiB, 100],
      ['64MiB', 64 * MiB, 60],
      ['1GiB', GiB, 10],
    ] as const) {
      const sums = await checksums(file, size, 8 * MiB);
      const got: Sample[] = [];
      for (let i = 0; i < samples; i++) got.push(await uploadOnce(api, file, size, 8 * MiB, sums, false));
      const ms = got.map((s) => s.completeMs);
      const db = got.map((s) => s.dbMs);
      const signal = got.map((s) => s.temporalMs);
      const inApi = got.map((s) => s.apiMs);
      latency[label] = {
        p50: percentile(ms, 50),
        p99: percentile(ms, 99),
        samples,
        dbP50: percentile(db, 50),
        dbP99: percentile(db, 99),
        temporalP50: percentile(signal, 50),
        temporalP99: percentile(signal, 99),
        apiP50: percentile(inApi, 50),
        apiP99: percentile(inApi, 99),
        assemblyP50: percentile(
          got.map((s) => s.assemblyMs),
          50,
        ),
      };
      process.stderr.write(`complete latency ${label}: ${JSON.stringify(latency[label])}\n`);
    }

    const assembly: Record<string, { seconds: number; bytesThroughWorker: number }> = {};
    for (const [label, chunkSize, verify] of [
      ['chunks64MiB', 64 * MiB, false],
      ['chunks1MiB', MiB, false],
      ['chunks64MiBVerified', 64 * MiB, true],
    ] as const) {
      const s = await uploadOnce(api, file, GiB, chunkSize, await checksums(file, GiB, chunkSize), verify);
      assembly[label] = { seconds: s.assemblyMs / 1000, bytesThroughWorker: s.bytesThroughWorker };
      process.stderr.write(`assembly ${label}: ${JSON.stringify(assembly[label])}\n`);
    }
    const key = `bench/${run}/put.bin`;
    const t0 = performance.now();
    await s3.send(
      new PutObjectCommand({
        Bucket: config.FERRY_BUCKET,
        Key: key,
        Body: createReadStream(file),
        ContentLength: GiB,
      }),
    );
    assembly.plainPutObject = { seconds: (performance.now() - t0) / 1000, bytesThroughWorker: GiB };
    await s3.send(new DeleteObjectCommand({ Bucket: config.FERRY_BUCKET, Key: key }));

    const cli = await cliUpload(apiUrl, file, dir);
    const ingestMBps = cli.bytesSent / 1e6 / cli.sendSeconds;

    const f = (n: number, d = 1) => n.toFixed(d).padStart(8);
    console.log(
      '\nPOST /v1/uploads/:id/complete latency (8 MiB chunks)   p50 ms   p99 ms  samples  assembly p50 s',
    );
    for (const [label, l] of Object.entries(latency)) {
      console.log(
        `  ${label.padEnd(52)}${f(l.p50)} ${f(l.p99)} ${f(l.samples, 0)} ${f(l.assemblyP50 / 1000, 2)}`,
      );
    }
    console.log(
      '  inside the API (Server-Timing), p50 / p99 ms:   database          Temporal signal   whole request',
    );
    for (const [label, l] of Object.entries(latency)) {
      console.log(
        `  ${label.padEnd(46)}${f(l.dbP50)} ${f(l.dbP99)} ${f(l.temporalP50)} ${f(l.temporalP99)} ${f(l.apiP50)} ${f(l.apiP99)}`,
      );
    }
    console.log('\n1 GiB: complete → completed                              seconds  bytes through worker');
    for (const [label, a] of Object.entries(assembly)) {
      console.log(`  ${label.padEnd(52)}${f(a.seconds, 2)}  ${a.bytesThroughWorker}`);
    }
    console.log(`\nchunk ingest, ferry upload --parallel 4 --chunk-size 8:  ${ingestMBps.toFixed(1)} MB/s`);
    console.log(
      JSON.stringify({ completeLatencyMs: latency, assembly1GiB: assembly, cliIngestMBps: ingestMBps }),
    );
  } finally {
    for (const p of procs) await p.stop();
    await rm(dir, { recursive: true, force: true });
    s3.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
