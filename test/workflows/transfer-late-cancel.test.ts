import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import type { TransferOutcome } from '../../src/activities/transfer';
import { WorkflowType } from '../../src/workflows/contract';
import type { transferFile } from '../../src/workflows/transfer';
import {
  createGate,
  taskQueueFor,
  useWorkflowEnv,
  waitForEvent,
  withStubWorker,
  type StubActivities,
} from '../helpers/workflows';

const { env } = useWorkflowEnv();

const stored: TransferOutcome = {
  status: 'completed',
  sha256: 'ab'.repeat(32),
  size: 1024,
  recorded: false,
  afterTransfer: 'move',
  notify: true,
};

/** Stubs of every activity transferFile calls, recording what each was asked to do. */
function transferStubs(gated: 'transferToS3' | 'applyAfterTransfer', gate: ReturnType<typeof createGate>) {
  const calls = { afterTransfer: 0, marks: [] as string[], webhooks: [] as string[] };
  const activities: StubActivities = {
    transferToS3: async () => {
      if (gated === 'transferToS3') await gate.pass();
      return stored;
    },
    applyAfterTransfer: async () => {
      calls.afterTransfer++;
      if (gated === 'applyAfterTransfer') await gate.pass();
      return { action: 'move' };
    },
    markTransfer: ({ status }: { status: string }) => {
      calls.marks.push(status);
    },
    notifyTransfer: ({ event }: { event: string }) => {
      calls.webhooks.push(event);
    },
  };
  return { calls, activities };
}

/**
 * Starts transferFile on a stub worker, cancels it once the gated activity is
 * reached, lets the activity go on once the cancel is in the history, and
 * returns how the workflow ended.
 */
async function cancelAtGate(
  taskQueue: string,
  activities: StubActivities,
  gate: ReturnType<typeof createGate>,
  transferId: string,
): Promise<unknown> {
  return withStubWorker(env(), taskQueue, activities, async () => {
    const handle = await env().client.workflow.start<typeof transferFile>(WorkflowType.transferFile, {
      taskQueue,
      workflowId: `cancel-at-gate-${taskQueue}`,
      args: [{ transferId }],
    });
    await gate.reached;
    await handle.cancel();
    await waitForEvent(
      handle,
      'cancel requested',
      (e) => !!e.workflowExecutionCancelRequestedEventAttributes,
    );
    gate.open();
    return handle.result().then(
      (result) => result,
      (err: Error) => err.cause?.constructor.name ?? err.name,
    );
  });
}

describe('transferFile: a cancel that arrives once the object is stored', () => {
  for (const gated of ['transferToS3', 'applyAfterTransfer'] as const) {
    const when =
      gated === 'transferToS3'
        ? 'as the transfer activity finishes without noticing it'
        : 'while the after-transfer action runs';
    it(`does not undo the after-transfer action or the status, ${when}`, async (t) => {
      const taskQueue = taskQueueFor(t.name);
      const gate = createGate();
      const { calls, activities } = transferStubs(gated, gate);
      const result = await cancelAtGate(taskQueue, activities, gate, 'transfer-1');
      assert.deepEqual(result, {
        transferId: 'transfer-1',
        status: 'completed',
        sha256: stored.sha256,
        size: 1024,
      });
      assert.equal(calls.afterTransfer, 1, 'the source was moved once');
      assert.deepEqual(calls.marks, ['completed']);
      assert.deepEqual(calls.webhooks, ['transfer.completed']);
    });
  }

  it('while the object is still being stored, ends the transfer as cancelled', async (t) => {
    const taskQueue = taskQueueFor(t.name);
    const gate = createGate();
    const { calls, activities } = transferStubs('transferToS3', gate);
    // Like the real activity: it heartbeats, learns of the cancel from the answer, and stops.
    activities.transferToS3 = async () => {
      const context = Context.current();
      await gate.pass();
      const beat = setInterval(() => context.heartbeat(), 50);
      try {
        return await context.cancelled;
      } finally {
        clearInterval(beat);
      }
    };
    const outcome = await cancelAtGate(taskQueue, activities, gate, 'transfer-2');
    assert.equal(outcome, 'CancelledFailure');
    assert.equal(calls.afterTransfer, 0, 'the source is left alone');
    assert.deepEqual(calls.marks, ['cancelled']);
    assert.deepEqual(calls.webhooks, []);
  });
});
