import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AssemblyPlan, UploadOutcome } from '../../src/activities/uploads/types';
import { uploadCompleteSignal, WorkflowType, workflowIds } from '../../src/workflows/contract';
import type { uploadLifecycle } from '../../src/workflows/upload';
import { taskQueueFor, useWorkflowEnv, withStubWorker, type StubActivities } from '../helpers/workflows';

const { env } = useWorkflowEnv();

/** An empty file: no multipart upload, no part batches, nothing to verify. */
const plan: AssemblyPlan = { size: 0, parts: 0, multipartUploadId: null, batches: [], verify: false };

/** Stubs of the upload activities; `expire` is what the row says when the TTL fires. */
function uploadStubs(expire: boolean) {
  const calls = { expire: 0, prepare: 0, finish: 0, abandon: [] as string[] };
  const activities: StubActivities = {
    expireUpload: () => {
      calls.expire++;
      return expire;
    },
    prepareUploadAssembly: () => {
      calls.prepare++;
      return plan;
    },
    finishUploadAssembly: ({ uploadId }: { uploadId: string }): UploadOutcome => {
      calls.finish++;
      const assembly = {
        parts: 0,
        copiedParts: 0,
        coalescedParts: 0,
        reusedParts: 0,
        bytesCopied: 0,
        bytesCoalesced: 0,
        bytesVerified: 0,
        bytesThroughWorker: 0,
      };
      return { uploadId, status: 'completed', bucket: 'b', key: 'k', size: 0, sha256: null, assembly };
    },
    abandonUpload: ({ status }: { status: string }) => {
      calls.abandon.push(status);
    },
    notifyUpload: () => true,
  };
  return { calls, activities };
}

async function runUpload(title: string, ttlSeconds: number, expire: boolean, signal: boolean) {
  const taskQueue = taskQueueFor(title);
  const { calls, activities } = uploadStubs(expire);
  const uploadId = taskQueue;
  const result = await withStubWorker(env(), taskQueue, activities, async () => {
    const handle = await env().client.workflow.start<typeof uploadLifecycle>(WorkflowType.uploadLifecycle, {
      taskQueue,
      workflowId: workflowIds.upload(uploadId),
      args: [{ uploadId, ttlSeconds }],
    });
    if (signal) await handle.signal(uploadCompleteSignal);
    return await handle.result();
  });
  return { calls, result };
}

describe('uploadLifecycle: complete racing the TTL', () => {
  it('assembles when the TTL fires but the row says complete got there first', async (t) => {
    const { calls, result } = await runUpload(t.name, 1, false, false);
    assert.equal(result.status, 'completed');
    assert.deepEqual(calls, { expire: 1, prepare: 1, finish: 1, abandon: [] });
  });

  it('expires, without assembling, when the row was still receiving at the TTL', async (t) => {
    const { calls, result } = await runUpload(t.name, 1, true, false);
    assert.equal(result.status, 'expired');
    assert.deepEqual(calls, { expire: 1, prepare: 0, finish: 0, abandon: [] });
  });

  it('never asks the row to expire when complete arrives before the TTL', async (t) => {
    const { calls, result } = await runUpload(t.name, 3600, true, true);
    assert.equal(result.status, 'completed');
    assert.deepEqual(calls, { expire: 0, prepare: 1, finish: 1, abandon: [] });
  });
});
