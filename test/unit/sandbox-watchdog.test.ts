import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker, type CompiledWorkerOptions } from '@temporalio/worker';
import { withActivationTimeout, workerClassWithActivationTimeout } from '../../src/lib/sandbox-watchdog';

const compiled = { isolateExecutionTimeoutMs: 5000, taskQueue: 'q' } as unknown as CompiledWorkerOptions;

describe('workflow sandbox watchdog', () => {
  it('is dropped at 0 (node:vm reads an undefined timeout as none) and kept otherwise', () => {
    assert.equal(withActivationTimeout(compiled, 0).isolateExecutionTimeoutMs, undefined);
    assert.equal(withActivationTimeout(compiled, 250).isolateExecutionTimeoutMs, 250);
    assert.equal(withActivationTimeout(compiled, 0).taskQueue, 'q');
  });

  it('overrides the hook the SDK builds its sandbox with (fails if an SDK upgrade renames it)', () => {
    const hook = (cls: unknown) => (cls as { createWorkflowCreator?: unknown }).createWorkflowCreator;
    assert.equal(typeof hook(Worker), 'function');
    const FerryWorker = workerClassWithActivationTimeout(0);
    assert.notEqual(hook(FerryWorker), hook(Worker));
    assert.ok(Object.prototype.hasOwnProperty.call(FerryWorker, 'createWorkflowCreator'));
  });
});
