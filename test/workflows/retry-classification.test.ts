import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TransferOutcome } from '../../src/activities/transfer';
import type { AssemblyPlan } from '../../src/activities/uploads/types';
import { Failure, WorkflowType, workflowIds } from '../../src/workflows/contract';
import { taskQueueFor, useWorkflowEnv, withStubWorker, type StubActivities } from '../helpers/workflows';

const { env } = useWorkflowEnv();

/** What a case throws on its first attempt: each catalogued type, or a plain Error. */
const PLAIN = 'plain Error';
const cases = [...Object.values(Failure), PLAIN];

/**
 * Thrown on the first attempt. Not marked non-retryable: an error whose name
 * is a catalogued type must be stopped by the retry policy itself, as a
 * vendor's error or one thrown without `nonRetryable()` would be.
 */
function firstAttemptError(kind: string): Error {
  if (kind === PLAIN) return new Error('connection reset');
  return ApplicationFailure.create({ type: kind, message: `${kind} on purpose`, nonRetryable: false });
}

/** The activity under test: fails once with `kind` (named by the input), then succeeds; counts attempts. */
function flaky<T>(attempts: Map<string, number>, kindOf: (input: never) => string, success: T) {
  return (input: never): T => {
    const kind = kindOf(input);
    const attempt = Context.current().info.attempt;
    attempts.set(kind, attempt);
    if (attempt === 1) throw firstAttemptError(kind);
    return success;
  };
}

const stored: TransferOutcome = {
  status: 'completed',
  sha256: 'cd'.repeat(32),
  size: 1,
  recorded: true,
  afterTransfer: 'keep',
  notify: false,
};

/**
 * `fn` over `items`, a few at a time, results in order. All at once, a loaded
 * machine can stall an activity past its heartbeat timeout, and the timeout
 * (retryable) would pass for a retried failure.
 */
async function inLanes<T, R>(items: T[], fn: (item: T) => Promise<R>, lanes = 4): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return results;
}

/** Attempts each case took, and the type each workflow failed with (or 'completed'). */
async function matrix(
  title: string,
  activities: (attempts: Map<string, number>) => StubActivities,
  start: (taskQueue: string, kind: string) => Promise<{ result(): Promise<unknown> }>,
) {
  const taskQueue = taskQueueFor(title);
  const attempts = new Map<string, number>();
  const ending = async (kind: string): Promise<string> => {
    const handle = await start(taskQueue, kind);
    return await handle.result().then(
      () => 'completed',
      (err: unknown) => {
        if (!(err instanceof WorkflowFailedError)) throw err;
        // A workflow that does not handle the failure ends with it wrapped as an ActivityFailure.
        const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
        return cause instanceof ApplicationFailure ? (cause.type ?? '') : String(cause);
      },
    );
  };
  const endings = await withStubWorker(env(), taskQueue, activities(attempts), () => inLanes(cases, ending));
  return { attempts: Object.fromEntries(cases.map((k) => [k, attempts.get(k)])), endings };
}

/** Every catalogued type is tried once; a plain Error is retried (and then succeeds). */
const expectedAttempts = Object.fromEntries(cases.map((k) => [k, k === PLAIN ? 2 : 1]));

describe('retry classification of the failure catalogue', () => {
  for (const local of [false, true]) {
    it(`transferFile (${local ? 'local' : 'heartbeated'} transfer activity): no catalogued type is retried, a plain Error is`, async (t) => {
      const { attempts, endings } = await matrix(
        t.name,
        (seen) => ({
          transferToS3: flaky(seen, ({ transferId }: { transferId: string }) => transferId, stored),
          markTransfer: () => undefined,
          notifyTransfer: () => undefined,
        }),
        (taskQueue, kind) =>
          env().client.workflow.start(WorkflowType.transferFile, {
            taskQueue,
            workflowId: `${taskQueue}-${kind}`,
            args: [{ transferId: kind, local }],
          }),
      );
      assert.deepEqual(attempts, expectedAttempts);
      // The workflow ends with the activity's own failure type, which the API then shows.
      assert.deepEqual(
        endings,
        cases.map((k) => (k === PLAIN ? 'completed' : k)),
      );
    });
  }

  it('uploadLifecycle (assembly steps): no catalogued type is retried, a plain Error is', async (t) => {
    const plan: AssemblyPlan = { size: 0, parts: 0, multipartUploadId: null, batches: [], verify: false };
    const { attempts, endings } = await matrix(
      t.name,
      (seen) => ({
        prepareUploadAssembly: flaky(seen, (uploadId: string) => uploadId, plan),
        finishUploadAssembly: (input: { uploadId: string }) => ({
          uploadId: input.uploadId,
          status: 'expired',
        }),
        abandonUpload: () => undefined,
        notifyUpload: () => true,
      }),
      async (taskQueue, kind) => {
        const handle = await env().client.workflow.start(WorkflowType.uploadLifecycle, {
          taskQueue,
          workflowId: workflowIds.upload(`${taskQueue}-${kind}`),
          args: [{ uploadId: kind, ttlSeconds: 3600 }],
        });
        await handle.signal('uploadComplete');
        return handle;
      },
    );
    assert.deepEqual(attempts, expectedAttempts);
    assert.deepEqual(
      endings,
      cases.map((k) => (k === PLAIN ? 'completed' : Failure.UploadFailed)),
    );
  });

  it('scanServer (listing): no catalogued type is retried, a plain Error is', async (t) => {
    const { attempts, endings } = await matrix(
      t.name,
      (seen) => ({
        listServerFiles: flaky(seen, ({ serverId }: { serverId: string }) => serverId, {
          listed: 0,
          young: 0,
          rejected: 0,
          newVersions: 0,
          pending: 0,
        }),
        sweepAbandonedTransfers: () => ({ abandoned: 0 }),
        startTransfers: () => ({ started: 0, alreadyStarted: 0, nextCursor: null }),
      }),
      (taskQueue, kind) =>
        env().client.workflow.start(WorkflowType.scanServer, {
          taskQueue,
          workflowId: workflowIds.scan(kind),
          args: [{ serverId: kind }],
        }),
    );
    assert.deepEqual(attempts, expectedAttempts);
    assert.deepEqual(
      endings,
      cases.map((k) => (k === PLAIN ? 'completed' : k)),
    );
  });
});
