/**
 * Load check (`npm run bench:load`, method in bench/README.md): the real API
 * process against the local PostgreSQL and MinIO and a Temporal dev server of
 * its own (each upload starts a lifecycle workflow; a private server discards
 * them all at the end, and no worker runs). 200 concurrent clients (autocannon
 * connections) repeat, for 60 s: create an upload, send its one 1 KiB chunk,
 * read the upload, list the servers, read one server. Prints requests/s, the
 * p50/p99 latency, errors (connection errors, timeouts and non-2xx answers by
 * class) and the API's RSS before and after; then the same load again and
 * the RSS after it (a leak grows again, warm-up does not). Last line: one JSON object.
 *   BENCH_LOAD_SECONDS (default 60)  BENCH_LOAD_CONNECTIONS (default 200)
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { migrate } from '../src/db/migrate';
import { servicesEnv } from './lib/env';
import { repoRoot } from './lib/paths';
import { startPrivateTemporal } from './lib/private-temporal';
import { freePort, startProcess } from './lib/processes';
import { serverBody } from './lib/server-body';
import { waitFor } from './lib/wait';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 200);
const TOKEN = 'bench-load-token';
const run = Date.now().toString(36);

/** Resident set size of a process, from /proc (Linux). */
function rssMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return +(Number(kib) / 1024).toFixed(1);
}

const chunk = randomBytes(1024);
const chunkSha256 = createHash('sha256').update(chunk).digest('hex');

interface Context {
  uploadId?: string;
}

async function main(): Promise<void> {
  const temporal = await startPrivateTemporal();
  const databaseUrl = servicesEnv.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ferry_test';
  await migrate(databaseUrl);
  const port = await freePort();
  const api = startProcess(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/api/main.ts')], {
    ...process.env,
    ...servicesEnv,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `bench-load-${run}`,
    API_TOKENS: TOKEN,
    API_PORT: String(port),
    FERRY_BUCKET: 'ferry-test',
    FERRY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // One token for all 200 clients: the per-token limit would answer most requests 429 (BENCH_RATE_LIMIT to test it).
    API_RATE_LIMIT_PER_MINUTE: process.env.BENCH_RATE_LIMIT ?? '10000000',
  });
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    await waitFor(
      'the API',
      async () => {
        if (api.child.exitCode !== null) throw new Error(`the API exited: ${api.output()}`);
        return (await fetch(`${base}/readyz`)).ok;
      },
      { timeoutMs: 600_000 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; the API said: ${api.output()}`);
    });
    const created = await fetch(`${base}/v1/servers`, {
      method: 'POST',
      headers,
      body: JSON.stringify(serverBody({ name: `bench-load-${run}` })),
    });
    if (created.status !== 201) throw new Error(`server: ${created.status} ${await created.text()}`);
    const serverId = ((await created.json()) as { id: string }).id;
    const pid = api.child.pid as number;
    const rssBefore = rssMiB(pid);

    const round = () =>
      autocannon({
        url: base,
        connections: CONNECTIONS,
        duration: SECONDS,
        headers,
        requests: [
          {
            method: 'POST',
            path: '/v1/uploads',
            body: JSON.stringify({ filename: 'load.bin', size: chunk.length }),
            onResponse: (status, body, context: Context) => {
              context.uploadId =
                status === 201 ? (JSON.parse(body) as { uploadId: string }).uploadId : undefined;
            },
          },
          {
            method: 'PUT',
            // A falsy request (the create failed) starts the sequence again.
            setupRequest: (req, context: Context) =>
              context.uploadId
                ? {
                    ...req,
                    path: `/v1/uploads/${context.uploadId}/chunks/0`,
                    headers: {
                      ...headers,
                      'content-type': 'application/octet-stream',
                      'x-chunk-sha256': chunkSha256,
                    },
                    body: chunk,
                  }
                : (undefined as unknown as autocannon.Request),
          },
          {
            method: 'GET',
            setupRequest: (req, context: Context) => ({ ...req, path: `/v1/uploads/${context.uploadId}` }),
          },
          { method: 'GET', path: '/v1/servers' },
          { method: 'GET', path: `/v1/servers/${serverId}` },
        ],
      });
    const result = await round();
    // What stays once the load is gone: let the event loop drain, then read.
    await new Promise((r) => setTimeout(r, 2_000));
    const rssAfter = rssMiB(pid);
    // The same load again: growth that does not repeat is warm-up (heap sizing, pools, compiled code), not a leak.
    const second = await round();
    await new Promise((r) => setTimeout(r, 2_000));
    const rssAfterSecond = rssMiB(pid);

    const figures = {
      bench: 'load',
      seconds: SECONDS,
      connections: CONNECTIONS,
      requests: result.requests.total,
      requestsPerS: result.requests.average,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      errors: result.errors,
      timeouts: result.timeouts,
      status4xx: result['4xx'],
      status5xx: result['5xx'],
      resets: result.resets,
      apiRssBeforeMiB: rssBefore,
      apiRssAfterMiB: rssAfter,
      apiRssGrowthMiB: +(rssAfter - rssBefore).toFixed(1),
      secondRoundRequestsPerS: second.requests.average,
      secondRoundP99Ms: second.latency.p99,
      secondRound5xx: second['5xx'],
      apiRssAfterSecondMiB: rssAfterSecond,
      apiRssGrowthSecondRoundMiB: +(rssAfterSecond - rssAfter).toFixed(1),
    };
    console.log(
      [
        `load: ${CONNECTIONS} clients for ${SECONDS} s on the uploads and servers APIs`,
        `  requests/s ${figures.requestsPerS}, latency p50 ${figures.latencyP50Ms} ms, p99 ${figures.latencyP99Ms} ms`,
        `  errors ${figures.errors} (timeouts ${figures.timeouts}), 4xx ${figures.status4xx}, 5xx ${figures.status5xx}`,
        `  API RSS ${rssBefore} → ${rssAfter} MiB; after the same load again ${rssAfterSecond} MiB`,
      ].join('\n'),
    );
    console.log(JSON.stringify(figures));
    // A 5xx under load is a defect, not a figure.
    if (figures.requests < 1 || figures.status5xx > 0 || figures.secondRound5xx > 0) process.exitCode = 1;
  } finally {
    await api.stop();
    await temporal.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
