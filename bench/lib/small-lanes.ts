import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from '../../src/generated/prisma/client';
import { workflowIds } from '../../src/workflows/contract';
import { cpuSeconds, cpuSecondsOfTree, postgresCpuSeconds, servicePid } from './cpu';
import type { TestDeps } from './deps';
import { readRequestCounts, type RequestCounts } from './request-counts';
import { waitFor } from './wait';
import { startWorkerProcess } from './worker-process';

/**
 * One lane of bench:ingest's small files: a scan of `server` that ends when
 * all its files are `completed`, on a worker process of its own (with
 * `FERRY_PAYLOAD_KEYS` when `payloadKeys` is given, the scan then started by
 * a client with the same keys). Returns files/s and, robust under load, what
 * each file cost: CPU per process, round trips the worker made, and Temporal
 * history events.
 */
export interface LaneRun {
  seconds: number;
  filesPerSecond: number;
  /** CPU seconds per file of each process. */
  cpuPerFile: Record<'worker' | 'temporal' | 'minio' | 'sshd' | 'postgres', number>;
  /** Requests per file the worker sent: S3 (all commands), SQL statements, SFTP requests. */
  requestsPerFile: { s3: number; sql: number; sftp: number; detail: RequestCounts };
  /** Events in the histories of the workflows that carried the files (the scan's excluded), per file. */
  historyEventsPerFile: number;
  workflowsPerFile: number;
}

/** Settings passed on to the worker from this process's environment, for A/B runs. */
const TUNING = ['WORKFLOW_ACTIVATION_TIMEOUT_MS', 'TRANSFER_BATCH_FILES', 'TRANSFER_BATCH_CONCURRENCY'];

export function newPayloadKeys(): string {
  return `bench:${randomBytes(32).toString('base64')}`;
}

/** CPU seconds so far of the processes a small file passes through (the worker's included). */
function cpuNow(workerPid: number, database: string) {
  return {
    worker: cpuSeconds(workerPid),
    temporal: cpuSeconds(servicePid('temporal')),
    minio: cpuSeconds(servicePid('minio')),
    sshd: cpuSecondsOfTree(servicePid('sshd')),
    postgres: postgresCpuSeconds(database),
  };
}

export async function runLane(
  deps: TestDeps,
  server: Server,
  files: number,
  payloadKeys?: string,
): Promise<LaneRun> {
  const taskQueue = `bench-ingest-${randomUUID()}`;
  const countsFile = path.join(tmpdir(), `ferry-bench-counts-${randomUUID()}.json`);
  const keys: Record<string, string> = payloadKeys ? { FERRY_PAYLOAD_KEYS: payloadKeys } : {};
  const tuning = Object.fromEntries(
    TUNING.flatMap((n) => (process.env[n] === undefined ? [] : [[n, process.env[n]]])),
  );
  const worker = await startWorkerProcess(
    taskQueue,
    { TEMPORAL_TASK_QUEUE: taskQueue, ...tuning, ...keys },
    { FERRY_BENCH_REQUEST_COUNTS: countsFile },
  );
  const database = new URL(deps.config.DATABASE_URL).pathname.slice(1);
  let run: Omit<LaneRun, 'requestsPerFile' | 'historyEventsPerFile' | 'workflowsPerFile'>;
  try {
    const before = cpuNow(worker.child.pid ?? 0, database);
    const started = performance.now();
    await deps.temporal.workflow.start('scanServer', {
      taskQueue,
      workflowId: workflowIds.scan(server.id),
      args: [{ serverId: server.id }],
    });
    await waitFor(
      `${files} small transfers`,
      async () =>
        (await deps.db.transfer.count({
          // Skipped: an SDK retry of a PutObject that had landed (slow storage) finds the object there.
          where: { serverId: server.id, status: { in: ['completed', 'skipped'] } },
        })) === files,
      { timeoutMs: 15 * 60_000, intervalMs: 200 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; the worker's last output:\n${worker.output()}`);
    });
    const seconds = (performance.now() - started) / 1000;
    const after = cpuNow(worker.child.pid ?? 0, database);
    const cpuPerFile = Object.fromEntries(
      Object.entries(after).map(([k, v]) => [k, (v - before[k as keyof typeof before]) / files]),
    ) as LaneRun['cpuPerFile'];
    run = { seconds, filesPerSecond: files / seconds, cpuPerFile };
  } finally {
    await worker.stop();
  }
  const counts = readRequestCounts(countsFile);
  rmSync(countsFile, { force: true });
  const sum = (prefix: string) =>
    Object.entries(counts).reduce((n, [k, v]) => (k.startsWith(prefix) ? n + v : n), 0) / files;
  const history = await historyOf(deps, server.id);
  return {
    ...run,
    requestsPerFile: { s3: sum('s3.'), sql: sum('sql'), sftp: sum('sftp.'), detail: counts },
    historyEventsPerFile: history.events / files,
    workflowsPerFile: history.workflows / files,
  };
}

/** Transfer and batch workflows of the server, and their history events (from visibility, no history read). */
async function historyOf(deps: TestDeps, serverId: string): Promise<{ workflows: number; events: number }> {
  const query =
    `WorkflowId STARTS_WITH '${workflowIds.transferPrefix(serverId)}' OR ` +
    `WorkflowId STARTS_WITH '${workflowIds.transferBatchPrefix(serverId)}'`;
  // Visibility records a workflow's history length when it closes, just after its rows are written.
  await waitFor(
    "the lane's workflows to close",
    async () => {
      const running = await deps.temporal.workflow.count(`ExecutionStatus = 'Running' AND (${query})`);
      return running.count === 0;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  let workflows = 0;
  let events = 0;
  for await (const wf of deps.temporal.workflow.list({ query })) {
    workflows++;
    events += wf.historyLength;
  }
  return { workflows, events };
}
