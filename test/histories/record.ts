/**
 * Records the histories the replay tests (test/workflows/replay.test.ts)
 * replay: each workflow run for real against the real services, its history
 * saved with `handle.fetchHistory()`. Run it after a deliberate change to a
 * workflow's commands (with its `patched()` guard), services up:
 *   bash scripts/services.sh up && npx tsx test/histories/record.ts [ingest|transfer-failed|uploads|retention…]
 * (the groups named, or all). Together the histories cover both paths of every `patched()` in src/workflows.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Server } from '../../src/generated/prisma/client';
import { workflowIds } from '../../src/workflows/contract';
import type { scanServer } from '../../src/workflows/scan';
import { startTestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import {
  createTestServer,
  createTransferRow,
  localPathOf,
  removeTestFiles,
  startTransfer,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { removeTree } from '../helpers/ingest-tree';
import { startPrune, TEN_YEARS } from '../helpers/retention';
import { cleanupServer, nextScheduledScan, registerServer } from '../helpers/servers';
import { writeRemoteFile } from '../helpers/sftp';
import { chunksOf, sha256, startUploadsApi } from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor, temporalBinary } from '../helpers/workflows';
import { MiB } from '../../src/lib/units';

const dir = __dirname;

/**
 * Waits for the run to close, then saves its history as the `temporal` CLI
 * prints it (`workflow show --output json`), the JSON form replay reads.
 */
async function save(deps: TestDeps, name: string, workflowId: string, runId?: string): Promise<void> {
  const handle: WorkflowHandle = deps.temporal.workflow.getHandle(workflowId, runId);
  await handle.result().catch(() => undefined);
  const args = ['workflow', 'show', '--address', deps.config.TEMPORAL_ADDRESS, '-w', workflowId];
  const json = execFileSync(temporalBinary(), [...args, ...(runId ? ['-r', runId] : []), '--output', 'json']);
  // The workflow ID is not in the events, and workflow code may depend on it (scanServer does).
  const history = JSON.parse(json.toString()) as { events: unknown[] };
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ workflowId, events: history.events }));
  console.log(`recorded ${name} (${workflowId})`);
}

/** A scan (canonical and scheduled) whose transfers take both paths: a small file locally, a larger one heartbeated. */
async function recordIngest(deps: TestDeps, taskQueue: string): Promise<void> {
  const api = await startTestApi(deps);
  const remoteDir = `replay-${randomUUID().slice(0, 8)}`;
  const server = await registerServer(api, {
    remoteDir,
    afterTransfer: 'move',
    archiveDir: `${remoteDir}/.done`,
  });
  try {
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const [rel, size] of [
      ['small.csv', 2048],
      ['large.bin', 6 * MiB],
    ] as const) {
      utimesSync(writeRemoteFile(`${remoteDir}/${rel}`, randomBytes(size)), hourAgo, hourAgo);
    }
    const scan = await deps.temporal.workflow.start<typeof scanServer>('scanServer', {
      taskQueue,
      workflowId: workflowIds.scan(server.id),
      args: [{ serverId: server.id }],
    });
    const result = await scan.result();
    if (result.started !== 2) throw new Error(`the scan started ${result.started} transfers, not 2`);
    await save(deps, 'scan-server', scan.workflowId, scan.firstExecutionRunId);
    for (const [rel, name] of [
      ['small.csv', 'transfer-local-move'],
      ['large.bin', 'transfer-heartbeated-move'],
    ] as const) {
      const transfer = await waitFor(`transfer of ${rel}`, () =>
        deps.db.transfer.findFirst({ where: { serverId: server.id, remotePath: `${remoteDir}/${rel}` } }),
      );
      await save(deps, name, transfer.workflowId);
    }
    // A scheduled run: it runs the canonical scan as its child.
    const schedule = deps.temporal.schedule.getHandle(workflowIds.scanSchedule(server.id));
    const since = new Date(Date.now() - 1000);
    await schedule.trigger();
    await nextScheduledScan(deps.temporal, server.id, since);
    const run = (await schedule.describe()).info.recentActions.at(-1)?.action.workflow;
    if (!run) throw new Error('no scheduled scan ran');
    await save(deps, 'scan-scheduled', run.workflowId, run.firstExecutionRunId);
  } finally {
    await cleanupServer(api, deps, server.id, taskQueue);
    await removeTree(deps.s3, { ...server, remoteDir } as unknown as Server);
    await api.close();
  }
}

/** A transfer whose file is gone when it runs: it fails, and records how (the patched failure path). */
async function recordFailedTransfer(deps: TestDeps, taskQueue: string): Promise<void> {
  const server = await createTestServer(deps);
  writeRandomFile(server, 'gone.csv', 1024);
  const row = await createTransferRow(deps, server, 'gone.csv');
  rmSync(localPathOf(server, 'gone.csv'));
  const handle = await startTransfer(deps, row, taskQueue);
  await save(deps, 'transfer-failed', handle.workflowId);
  await deps.db.server.delete({ where: { id: server.id } });
}

/** One upload assembled (with its SHA-256 verified) and one left to expire. */
async function recordUploads(deps: TestDeps): Promise<void> {
  const api = await startUploadsApi(deps);
  try {
    const chunks = chunksOf(2, 5 * MiB);
    const whole = sha256(Buffer.concat(chunks));
    const { id } = await api.send({ filename: 'replay.bin', sha256: whole }, chunks);
    await api.waitForStatus(id, ['completed']);
    await save(deps, 'upload-completed', workflowIds.upload(id));

    const created = await api.call('POST', '/v1/uploads', { filename: 'expires.bin', ttlSeconds: 1 });
    await api.waitForStatus(created.body.uploadId, ['expired']);
    await save(deps, 'upload-expired', workflowIds.upload(created.body.uploadId));
  } finally {
    await api.close();
  }
}

/** One clean-up run (a retention of ten years: it deletes nothing another test or checkout needs). */
async function recordRetention(deps: TestDeps, taskQueue: string): Promise<void> {
  const run = await startPrune(deps, taskQueue, { retentionDays: TEN_YEARS, batchRows: 1000 });
  await save(deps, 'retention-prune', run.workflowId, run.firstExecutionRunId);
}

const recorders: Record<string, (deps: TestDeps, taskQueue: string) => Promise<void>> = {
  ingest: recordIngest,
  'transfer-failed': recordFailedTransfer,
  uploads: recordUploads,
  retention: recordRetention,
};

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in recorders));
  if (unknown.length) throw new Error(`no such histories: ${unknown.join(', ')}`);
  const taskQueue = taskQueueFor('record-histories');
  const deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue });
  try {
    await withWorker(deps, taskQueue, async () => {
      for (const [name, record] of Object.entries(recorders)) {
        if (names.length === 0 || names.includes(name)) await record(deps, taskQueue);
      }
    });
  } finally {
    removeTestFiles();
    await deps.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
