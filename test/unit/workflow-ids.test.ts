import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchWorkflowId, transferWorkflowId } from '../../src/lib/workflow-ids';

describe('transfer workflow IDs', () => {
  it('are equal for the same file version and differ when size or mtime change', () => {
    const id = transferWorkflowId('srv', 'in/a b.csv', 10n, 1000n);
    assert.equal(id, transferWorkflowId('srv', 'in/a b.csv', 10n, 1000n));
    assert.notEqual(id, transferWorkflowId('srv', 'in/a b.csv', 11n, 1000n));
    assert.notEqual(id, transferWorkflowId('srv', 'in/a b.csv', 10n, 1001n));
    assert.notEqual(id, transferWorkflowId('other', 'in/a b.csv', 10n, 1000n));
  });

  it('do not collide when fields could be re-split', () => {
    assert.notEqual(transferWorkflowId('a', 'b1', 2n, 3n), transferWorkflowId('a', 'b', 12n, 3n));
  });
});

describe('batch workflow IDs', () => {
  it('depend on the set of versions, not their order, and on the server', () => {
    const id = batchWorkflowId('srv', ['b', 'a', 'c']);
    assert.equal(id, batchWorkflowId('srv', ['a', 'b', 'c']));
    assert.notEqual(id, batchWorkflowId('srv', ['a', 'b']));
    assert.notEqual(id, batchWorkflowId('other', ['a', 'b', 'c']));
    assert.ok(id.startsWith('ferry-batch-srv-'));
  });
});
