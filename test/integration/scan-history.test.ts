import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { utimesSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { workflowIds } from '../../src/workflows/contract';
import type { scanServer } from '../../src/workflows/scan';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { startPrivateTemporal } from '../helpers/private-temporal';
import { removeRemoteDir } from '../helpers/ingest-tree';
import { registerServer, runChain, type ServerAnswer } from '../helpers/servers';
import { writeRemoteFile } from '../helpers/sftp';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

const FILES = 10_000;
/** Events one scan run may have; Temporal's limit is 51,200, a run of this scan needs about 70. */
const MAX_EVENTS_PER_RUN = 200;

/**
 * A directory of 10,000 files: the listing goes to the database, not through
 * the history, and starting the transfers continues as new every few pages.
 * The transfers go to a task queue no worker polls (this test is about the
 * scan), on a private in-memory Temporal server whose end discards them.
 */
describe('a scan of 10,000 files', () => {
  let temporal: Awaited<ReturnType<typeof startPrivateTemporal>>;
  let deps: TestDeps;
  let api: TestApi;
  let server: ServerAnswer | undefined;

  before(async () => {
    temporal = await startPrivateTemporal();
    deps = await createTestDeps({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `no-worker-${randomUUID()}`,
    });
    api = await startTestApi(deps);
  });
  after(async () => {
    try {
      if (server) {
        await api.call('DELETE', `/v1/servers/${server.id}`);
        removeRemoteDir(server.remoteDir);
      }
    } finally {
      await api.close();
      await deps.close();
      await temporal.stop();
    }
  });

  it('records and starts every file once while each run of its history stays small', async (t) => {
    // Disabled: its schedule stays paused, the scan below is the only one.
    const registered = await registerServer(api, { recursive: false, enabled: false });
    server = registered;
    const past = new Date(Date.now() - 3600_000);
    for (let i = 0; i < FILES; i++) {
      utimesSync(writeRemoteFile(`${registered.remoteDir}/f-${i}.txt`, String(i % 10)), past, past);
    }

    const taskQueue = taskQueueFor(t.name);
    const { result, firstRunId } = await withWorker(deps, taskQueue, async () => {
      const handle = await deps.temporal.workflow.start<typeof scanServer>('scanServer', {
        taskQueue,
        workflowId: workflowIds.scan(registered.id),
        args: [{ serverId: registered.id }],
      });
      return { result: await handle.result(), firstRunId: handle.firstExecutionRunId };
    });
    assert.equal(result.listed, FILES);
    assert.equal(result.newVersions, FILES);
    assert.equal(result.started, FILES);
    assert.equal(result.alreadyStarted, 0);

    const runs = await runChain(deps.temporal, workflowIds.scan(registered.id), firstRunId);
    assert.ok(runs.length >= 3, `continued as new (${runs.length} runs)`);
    for (const run of runs) {
      assert.ok(run.events <= MAX_EVENTS_PER_RUN, `run ${run.runId} has ${run.events} events`);
    }
    console.log(
      `scan of ${FILES} files: ${runs.length} runs, events per run ${runs.map((r) => r.events).join(',')}`,
    );

    const rows = await deps.db.transfer.findMany({
      where: { serverId: registered.id },
      select: { workflowId: true },
    });
    assert.equal(rows.length, FILES);
    assert.equal(new Set(rows.map((r) => r.workflowId)).size, FILES);
    const query = `TaskQueue = '${deps.config.TEMPORAL_TASK_QUEUE}' AND WorkflowType = 'transferFile'`;
    await waitFor('one transfer workflow per file in visibility', async () => {
      const { count } = await deps.temporal.workflow.count(query);
      return count === FILES;
    });
  });
});
