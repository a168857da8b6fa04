import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScanSchedule } from '../../src/api/servers/schedule';
import { WorkflowType, workflowIds } from '../../src/workflows/contract';
import type { scanServer } from '../../src/workflows/scan';
import { waitFor } from '../helpers/wait';
import { createGate, taskQueueFor, useWorkflowEnv, withStubWorker } from '../helpers/workflows';

const { env } = useWorkflowEnv();

describe('scanServer: one scan per server at a time', () => {
  it('a scheduled scan that starts while another scan runs ends skipped and lists nothing', async (t) => {
    const taskQueue = taskQueueFor(t.name);
    const serverId = `server-${taskQueue}`;
    const gate = createGate();
    let listings = 0;
    const activities = {
      listServerFiles: async () => {
        listings++;
        await gate.pass();
        return { listed: 3, young: 0, rejected: 0, newVersions: 3, pending: 3 };
      },
      sweepAbandonedTransfers: () => ({ abandoned: 0 }),
      startTransfers: () => ({ started: 3, alreadyStarted: 0, nextCursor: null }),
    };
    const client = env().client;
    const { scheduled, running } = await withStubWorker(env(), taskQueue, activities, async () => {
      // A scan started through the API runs under the canonical ID...
      const running = await client.workflow.start<typeof scanServer>(WorkflowType.scanServer, {
        taskQueue,
        workflowId: workflowIds.scan(serverId),
        args: [{ serverId }],
      });
      await gate.reached;
      // ...when the server's schedule (the API's own definition) fires.
      await createScanSchedule(
        client,
        { TEMPORAL_TASK_QUEUE: taskQueue, payloadKeys: [] },
        { id: serverId, scanIntervalSeconds: 3600, enabled: true, bucket: 'ferry' },
      );
      const schedule = client.schedule.getHandle(workflowIds.scanSchedule(serverId));
      try {
        await schedule.trigger();
        const action = await waitFor(
          'the scheduled run',
          async () => (await schedule.describe()).info.recentActions[0],
        );
        const { workflowId, firstExecutionRunId } = action.action.workflow;
        const scheduled = await client.workflow
          .getHandle<typeof scanServer>(workflowId, firstExecutionRunId)
          .result();
        gate.open();
        return { scheduled, running: await running.result() };
      } finally {
        await schedule.delete();
      }
    });
    assert.equal(scheduled.outcome, 'skipped');
    assert.equal(scheduled.listed, 0);
    assert.equal(running.outcome, 'scanned');
    assert.equal(running.started, 3);
    assert.equal(listings, 1, 'only the running scan listed the server');
  });
});
