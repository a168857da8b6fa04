import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { errorBody } from '../../src/api/errors';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { TEST_TOKEN } from '../helpers/env';
import { fuzzOperations, requestArbitrary, type FuzzRequest } from '../helpers/fuzz-requests';
import { terminateOpenWorkflows } from '../helpers/servers';
import { taskQueueFor } from '../helpers/workflows';

/** Fixed, so a failure replays; FERRY_FUZZ_SEED tries another. */
const SEED = Number(process.env.FERRY_FUZZ_SEED ?? 20_261_130);
const RUNS = 2_400;
const TIME_LIMIT_MS = 8 * 60_000;

interface Answer {
  status: number;
  text: string;
  contentType?: string;
  location?: string;
}

function send(base: string, req: FuzzRequest): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const out = request(
      {
        hostname,
        port,
        method: req.method,
        path: req.target,
        headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            ...(res.headers['content-type'] ? { contentType: res.headers['content-type'] } : {}),
            ...(res.headers.location ? { location: res.headers.location } : {}),
          }),
        );
        res.on('error', reject);
      },
    );
    // The API may answer a too large body early and close the connection.
    out.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve({ status: 413, text: '' }) : reject(err),
    );
    out.end(body);
  });
}

/**
 * What is wrong with an answer, or undefined: no 5xx, and every 4xx in the
 * error shape, but for the status page's HTML answers to people (a login form
 * that says the token is wrong), which only must not be a 5xx.
 */
export function answerProblem(answer: Answer, target: string): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (answer.status < 400 || answer.text === '') return undefined;
  if (target.startsWith('/ui') && answer.contentType?.startsWith('text/html')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return `a ${answer.status} whose body is not JSON: ${answer.text.slice(0, 200)}`;
  }
  return errorBody.safeParse(parsed).success
    ? undefined
    : `a ${answer.status} not in the error shape: ${answer.text.slice(0, 200)}`;
}

describe('API fuzzing, driven by /openapi.json', () => {
  let deps: TestDeps;
  let api: TestApi;
  const created = new Set<string>();

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueueFor('api fuzz') });
    api = await startTestApi(deps);
  });
  after(async () => {
    // Whatever a valid request made: deleted (servers, routes, uploads) or cancelled (exports, batches).
    for (const location of created) await api.call('DELETE', location);
    await terminateOpenWorkflows(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE);
    await api.close();
    await deps.close();
  });

  it(`sends ${RUNS} generated requests across every route: no 5xx, every 4xx in the error shape`, async () => {
    const doc: unknown = await (await fetch(`${api.url}/openapi.json`)).json();
    const operations = fuzzOperations(doc);
    assert.ok(operations.length > 30);
    // A real upload, so that chunk and complete requests get past the ID.
    const upload = await api.call<{ uploadId: string }>('POST', '/v1/uploads', {
      json: { filename: 'fuzz.bin' },
    });
    assert.equal(upload.status, 201);
    created.add(`/v1/uploads/${upload.body.uploadId}`);
    const ids = [upload.body.uploadId, '00000000-0000-4000-8000-000000000000'];

    const sent = new Map<string, number>();
    const arbitrary = fc.oneof(...operations.map((op) => requestArbitrary(op, TEST_TOKEN, ids)));
    console.log(`api fuzz: seed ${SEED}, ${RUNS} runs (FERRY_FUZZ_SEED=${SEED} replays them)`);
    const report = await fc.check(
      fc.asyncProperty(arbitrary, async (req) => {
        const answer = await send(api.url, req);
        sent.set(req.operation, (sent.get(req.operation) ?? 0) + 1);
        if (answer.location && answer.status < 300) created.add(answer.location);
        const problem = answerProblem(answer, req.target);
        if (problem) throw new Error(`${req.method} ${req.target.slice(0, 200)}: ${problem}`);
      }),
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    if (report.failed) assert.fail(fc.defaultReportMessage(report) ?? 'fuzzing failed');
    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    console.log(`api fuzz: ${total} requests over ${sent.size} operations`);
    assert.ok(report.numRuns >= 2_000, `only ${report.numRuns} runs within the time limit`);
    assert.deepEqual(
      operations.map((op) => `${op.method} ${op.path}`).filter((o) => (sent.get(o) ?? 0) < 10),
      [],
      'operations hardly fuzzed',
    );
    assert.equal((await api.call('GET', '/healthz')).status, 200);
  });
});
