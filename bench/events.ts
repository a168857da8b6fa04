/**
 * Events benchmark (`npm run bench:events`, after `npm run services:up`):
 * starts the real API and one worker, a webhook route whose receiver is a
 * local no-op endpoint, and 50 concurrent senders posting S3-style
 * notifications (one record each; one in ten for a key no route matches).
 * Prints events/s accepted, p50/p99 of POST /v1/events (which answers once
 * the events are stored: docs/events.md, "Outbox"), events/s handled end to
 * end (first post to last event closed), and what was lost: posted vs stored
 * vs finished (completed or unmatched); the receiver gets each matched one.
 * Last line: one JSON object.
 *   BENCH_EVENTS (default 2000) or BENCH_SECONDS (post for that long)
 *   BENCH_SENDERS (default 50)  BENCH_STALL_MS (default 120000)  BENCH_FLOOR_EVENTS (600)
 * In the same run, before: the same senders against the API alone (no
 * worker, no workflow starts), what answering costs without competition;
 * after: the Temporal floor, empty workflows of handleEvent's shape.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { migrate } from '../src/db/migrate';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { createDb, type Db } from '../src/lib/db';
import { workflowIds } from '../src/workflows/contract';
import { measureTemporalFloor } from './floor/measure';
import { createTestDeps } from './lib/deps';
import { localServicesEnv, pollUntil, runEntry, unusedPort } from './lib/events-harness';

const TOTAL = Number(process.env.BENCH_EVENTS ?? 2000);
const SENDERS = Number(process.env.BENCH_SENDERS ?? 50);
/** Post for this many seconds instead of a fixed count (the "60 s"); 0: BENCH_EVENTS events. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 0);
/** An event not closed after handling made no progress for this long counts as lost. */
const STALL_MS = Number(process.env.BENCH_STALL_MS ?? 120_000);
const servicesEnv = localServicesEnv();
const TOKEN = 'bench-token';
const run = Date.now().toString(36);
const bucket = `bench-events-${run}`;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...servicesEnv,
  DATABASE_URL: servicesEnv.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ferry_test',
  API_TOKENS: TOKEN,
  FERRY_BUCKET: 'ferry-test',
  FERRY_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
  TEMPORAL_TASK_QUEUE: `bench-events-${run}`,
  WORKER_METRICS_PORT: '0',
  LOG_LEVEL: 'warn',
  // The no-op receiver listens on loopback, which the outbound policy refuses by default.
  FERRY_OUTBOUND_ALLOWLIST: '127.0.0.0/8',
  // The bench watches a bucket of its own.
  FERRY_ALLOWED_BUCKETS: bucket,
};

function record(i: number, prefix: string) {
  const key = i % 10 === 9 ? `elsewhere/${i}.csv` : `${prefix}/file ${i}.csv`;
  return {
    EventName: 's3:ObjectCreated:Put',
    Records: [
      {
        eventName: 's3:ObjectCreated:Put',
        s3: {
          bucket: { name: bucket },
          object: {
            key: encodeURIComponent(key).replace(/%20/g, '+'),
            size: 100,
            eTag: randomBytes(16).toString('hex'),
            sequencer: randomBytes(8).toString('hex'),
          },
        },
      },
    ],
  };
}

interface Posted {
  latencies: number[];
  posted: number;
  refused: number;
  connectionErrors: number;
  started: number;
  seconds: number;
}

/** SENDERS concurrent senders post TOTAL events (or for SECONDS); one in ten under a prefix no route watches. */
async function postEvents(base: string, headers: Record<string, string>, prefix: string): Promise<Posted> {
  const latencies: number[] = [];
  let posted = 0;
  let refused = 0;
  let connectionErrors = 0;
  const started = performance.now();
  const more = () => (SECONDS > 0 ? performance.now() - started < SECONDS * 1000 : posted < TOTAL);
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (more()) {
        const body = JSON.stringify(record(posted++, prefix));
        // A sender retries a post the connection lost (MinIO does); its latency counts from the first try.
        const t0 = performance.now();
        for (let attempt = 1; ; attempt++) {
          try {
            const res = await fetch(`${base}/v1/events`, { method: 'POST', headers, body });
            await res.arrayBuffer();
            if (res.status !== 202) refused++;
            break;
          } catch (err) {
            connectionErrors++;
            if (attempt === 5) throw err;
          }
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    latencies,
    posted,
    refused,
    connectionErrors,
    started,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The POST alone: the API with nothing else running (no worker, no workflow
 * starts: EVENTS_DISPATCH_CONCURRENCY=0, and no sweep during the run), the
 * same senders. What answering costs, apart from the competition for the CPU.
 */
async function measureAcceptOnly(db: Db): Promise<Posted> {
  const port = await unusedPort();
  const api = runEntry('src/api/main.ts', {
    ...env,
    API_PORT: String(port),
    EVENTS_DISPATCH_CONCURRENCY: '0',
    EVENTS_SWEEP_SECONDS: '3600',
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await pollUntil('the API', async () => (await fetch(`${base}/readyz`)).ok, 120_000);
    return await postEvents(
      base,
      { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      'accept',
    );
  } finally {
    await api.stop();
    // Never handled: removed before the sweep of the full run could start them.
    await db.event.deleteMany({ where: { bucket } });
  }
}

/** Empty event workflows for the Temporal floor: enough for a steady rate, in about a minute. */
const FLOOR_EVENTS = Number(process.env.BENCH_FLOOR_EVENTS ?? 600);

async function measureEventFloor() {
  const deps = await createTestDeps();
  try {
    return await measureTemporalFloor(deps, FLOOR_EVENTS, 'emptyEvent');
  } finally {
    await deps.close();
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

async function main(): Promise<void> {
  await migrate(env.DATABASE_URL as string);
  const db = createDb(env.DATABASE_URL as string);
  console.log(`accept only: ${SENDERS} senders, the API alone`);
  const acceptOnly = await measureAcceptOnly(db);
  console.log(
    `accept only: ${(acceptOnly.posted / acceptOnly.seconds).toFixed(1)}/s  POST p50 ${pct(acceptOnly.latencies, 0.5).toFixed(1)} ms  p99 ${pct(acceptOnly.latencies, 0.99).toFixed(1)} ms`,
  );
  let received = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const port = await unusedPort();
  const api = runEntry('src/api/main.ts', { ...env, API_PORT: String(port) });
  const worker = runEntry('src/worker.ts', { ...env, LOG_LEVEL: 'info' });
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    await pollUntil('the API', async () => (await fetch(`${base}/readyz`)).ok, 120_000).catch(
      (err: unknown) => {
        throw new Error(`${(err as Error).message}; its output:\n${api.output()}`);
      },
    );
    await pollUntil('the worker', () => worker.output().includes('ferry worker running'), 120_000);
    const route = await fetch(`${base}/v1/routes`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: `bench-${run}`,
        match: { eventTypes: ['s3:ObjectCreated:*'], bucket, keyPrefix: 'in/' },
        action: { type: 'webhook', url: hookUrl },
      }),
    });
    if (route.status !== 201) throw new Error(`route: ${route.status} ${await route.text()}`);

    const sent = await postEvents(base, headers, 'in');
    const { latencies, posted, refused, connectionErrors, started } = sent;
    const acceptedS = sent.seconds;
    const stored = await db.event.count({ where: { bucket } });
    // Wait for every stored event to close; one that never does (no progress for STALL_MS) is lost.
    let finished = 0;
    let progressAt = Date.now();
    await pollUntil(
      'every event to be handled',
      async () => {
        const now = await db.event.count({ where: { bucket, status: { in: ['completed', 'unmatched'] } } });
        if (now > finished) [finished, progressAt] = [now, Date.now()];
        return finished >= posted || Date.now() - progressAt > STALL_MS;
      },
      24 * 3_600_000,
      500,
    );
    const handledS = (performance.now() - started) / 1000;
    const byStatus = await db.event.groupBy({ by: ['status'], where: { bucket }, _count: true });
    console.log(
      `temporal floor: ${FLOOR_EVENTS} empty event workflows (the shape of handleEvent with one webhook)`,
    );
    const floor = await measureEventFloor();
    const result = {
      bench: 'events',
      design: 'outbox',
      senders: SENDERS,
      posted,
      refused,
      connectionErrors,
      acceptedPerS: +(posted / acceptedS).toFixed(1),
      postP50Ms: +pct(latencies, 0.5).toFixed(1),
      postP99Ms: +pct(latencies, 0.99).toFixed(1),
      handledPerS: +(finished / handledS).toFixed(1),
      handlingLagS: +(handledS - acceptedS).toFixed(1),
      stored,
      finished,
      final: Object.fromEntries(byStatus.map((s) => [s.status, s._count])),
      webhooksReceived: received,
      lost: posted - finished,
      acceptOnlyPerS: +(acceptOnly.posted / acceptOnly.seconds).toFixed(1),
      acceptOnlyP50Ms: +pct(acceptOnly.latencies, 0.5).toFixed(1),
      acceptOnlyP99Ms: +pct(acceptOnly.latencies, 0.99).toFixed(1),
      floorEventsPerS: +floor.workflowsPerSecond.toFixed(1),
      handledToFloor: +(finished / handledS / floor.workflowsPerSecond).toFixed(2),
    };
    console.log(
      `accepted ${result.acceptedPerS}/s  POST p50 ${result.postP50Ms} ms  p99 ${result.postP99Ms} ms`,
    );
    console.log(
      `handled end to end ${result.handledPerS}/s (${result.handlingLagS} s after the last post)  posted ${posted}  stored ${stored}  finished ${finished}  lost ${result.lost}  webhooks ${received}`,
    );
    console.log(`temporal floor ${result.floorEventsPerS} events/s; handled/floor ${result.handledToFloor}`);
    console.log(JSON.stringify(result));
    await fetch(`${base}/v1/routes/${((await route.json()) as { id: string }).id}`, {
      method: 'DELETE',
      headers,
    });
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
    receiver.close();
    await db.$disconnect();
    await removeHousekeepingSchedules();
  }
}

/**
 * The real API and worker set the event sweep's and retention's schedules on
 * the bench's own task queue, which nothing polls once the bench ends.
 */
async function removeHousekeepingSchedules(): Promise<void> {
  const queue = env.TEMPORAL_TASK_QUEUE as string;
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  try {
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default' });
    for (const id of [workflowIds.eventSweep(queue), workflowIds.retention(queue)]) {
      await client.schedule
        .getHandle(id)
        .delete()
        .catch((err: unknown) => {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
        });
    }
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
