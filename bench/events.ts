/**
 * Events benchmark (`npm run bench:events`, after `npm run services:up`):
 * starts the real API and one worker, a webhook route whose receiver is a
 * local no-op endpoint, and 50 concurrent senders posting S3-style
 * notifications (one record each; one in ten for a key no route matches).
 * Prints events/s accepted, p50/p99 of POST /v1/events, events/s handled end
 * to end (first post to last event closed), and checks that no event was
 * lost: every posted event is stored and ends completed or unmatched, and the
 * receiver got each matched one. Last line: one JSON object.
 *   BENCH_EVENTS (default 2000)  BENCH_SENDERS (default 50)
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { migrate } from '../src/db/migrate';
import { createDb } from '../src/lib/db';
import { servicesEnv } from '../test/helpers/env';
import { repoRoot } from '../test/helpers/paths';
import { freePort, startProcess } from '../test/helpers/processes';
import { waitFor } from '../test/helpers/wait';

const TOTAL = Number(process.env.BENCH_EVENTS ?? 2000);
const SENDERS = Number(process.env.BENCH_SENDERS ?? 50);
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
};

function record(i: number) {
  const key = i % 10 === 9 ? `elsewhere/${i}.csv` : `in/file ${i}.csv`;
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

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

async function main(): Promise<void> {
  await migrate(env.DATABASE_URL as string);
  const db = createDb(env.DATABASE_URL as string);
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
  const port = await freePort();
  const tsx = (entry: string) => ['--import', 'tsx', path.join(repoRoot, entry)];
  const api = startProcess(process.execPath, tsx('src/api/main.ts'), { ...env, API_PORT: String(port) });
  const worker = startProcess(process.execPath, tsx('src/worker.ts'), { ...env, LOG_LEVEL: 'info' });
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    await waitFor('the API', async () => (await fetch(`${base}/readyz`)).ok, { timeoutMs: 120_000 });
    await waitFor('the worker', () => worker.output().includes('ferry worker running'), {
      timeoutMs: 120_000,
    });
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

    const latencies: number[] = [];
    let next = 0;
    let refused = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < TOTAL) {
          const body = JSON.stringify(record(next++));
          const t0 = performance.now();
          const res = await fetch(`${base}/v1/events`, { method: 'POST', headers, body });
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
          if (res.status !== 202) refused++;
        }
      }),
    );
    const acceptedS = (performance.now() - started) / 1000;
    const stored = await db.event.count({ where: { bucket } });
    await waitFor(
      'every event to be handled',
      async () =>
        (await db.event.count({ where: { bucket, status: { in: ['completed', 'unmatched'] } } })) === TOTAL,
      { timeoutMs: 1_800_000, intervalMs: 500 },
    );
    const handledS = (performance.now() - started) / 1000;
    const byStatus = await db.event.groupBy({ by: ['status'], where: { bucket }, _count: true });
    latencies.sort((a, b) => a - b);
    const result = {
      bench: 'events',
      events: TOTAL,
      senders: SENDERS,
      refused,
      acceptedPerS: +(TOTAL / acceptedS).toFixed(1),
      postP50Ms: +pct(latencies, 0.5).toFixed(1),
      postP99Ms: +pct(latencies, 0.99).toFixed(1),
      handledPerS: +(TOTAL / handledS).toFixed(1),
      stored,
      final: Object.fromEntries(byStatus.map((s) => [s.status, s._count])),
      webhooksReceived: received,
      lost: TOTAL - stored,
    };
    console.log(
      `accepted ${result.acceptedPerS}/s  POST p50 ${result.postP50Ms} ms  p99 ${result.postP99Ms} ms`,
    );
    console.log(
      `handled end to end ${result.handledPerS}/s  stored ${stored}/${TOTAL}  webhooks ${received}`,
    );
    console.log(JSON.stringify(result));
    await fetch(`${base}/v1/routes/${((await route.json()) as { id: string }).id}`, {
      method: 'DELETE',
      headers,
    });
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
    receiver.close();
    await db.$disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
