import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { exportIdFor } from '../../src/api/exports/request';
import { workflowIds } from '../../src/workflows/contract';
import type { ErrorAnswer } from '../helpers/api-client';
import { exportDir, putObjects } from '../helpers/exports';
import { useExportSuite } from '../helpers/exports-suite';

/**
 * The HTTP contract of /v1/exports without a worker: bad input is a 4xx with
 * the error shape and starts nothing; a repeated POST with one idempotency
 * key answers the same job.
 */
describe('exports: HTTP API', () => {
  const suite = useExportSuite('exports-api', { LOG_LEVEL: 'error' });

  function body(extra: Record<string, unknown> = {}) {
    return {
      sources: {
        bucket: suite.deps.config.FERRY_BUCKET,
        keys: [`${suite.prefix}a/x.txt`, `${suite.prefix}b/x.txt`],
      },
      layout: 'keep',
      archiveName: 'out.zip',
      target: { serverId: suite.server.id, directory: exportDir().relative },
      ...extra,
    };
  }

  async function nothingStarted(key: string): Promise<void> {
    const exportId = exportIdFor(key);
    assert.equal(await suite.deps.db.export.count({ where: { id: exportId } }), 0, 'no export row');
    await assert.rejects(
      suite.deps.temporal.workflow.getHandle(workflowIds.export(exportId)).describe(),
      WorkflowNotFoundError,
      'no workflow',
    );
  }

  async function refused(extra: Record<string, unknown>, status: number, message: RegExp): Promise<void> {
    const key = `bad-${Math.random()}`;
    const res = await suite.api.call<ErrorAnswer>('POST', '/v1/exports', {
      json: body(extra),
      headers: { 'idempotency-key': key },
    });
    assert.equal(res.status, status, res.text);
    assert.equal(typeof res.body.error.code, 'string');
    assert.match(JSON.stringify(res.body.error), message);
    await nothingStarted(key);
  }

  it('refuses bad input with a 4xx and starts nothing', async () => {
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, [
      { key: `${suite.prefix}a/x.txt`, body: 'a' },
      { key: `${suite.prefix}b/x.txt`, body: 'b' },
    ]);
    const unknownServer = '00000000-0000-4000-8000-000000000000';
    await refused({ target: { serverId: unknownServer, directory: 'in' } }, 400, /server .* does not exist/);
    await refused(
      { sources: { bucket: 'no-such-bucket-ferry', keys: ['x'] } },
      400,
      /bucket no-such-bucket-ferry/,
    );
    await refused(
      { sources: { bucket: suite.deps.config.FERRY_BUCKET, keys: [`${suite.prefix}nope`] } },
      400,
      /do not exist/,
    );
    await refused(
      { sources: { bucket: suite.deps.config.FERRY_BUCKET, prefix: `${suite.prefix}none/` } },
      400,
      /no object under/,
    );
    await refused({ layout: 'flatten' }, 400, /two objects map to one archive path.*x\.txt/);
    await refused({ layout: { mode: 'template', template: '{name}' } }, 400, /two objects map/);
    await refused({ target: { serverId: suite.server.id, directory: 'in/../../etc' } }, 400, /\.\./);
    await refused({ layout: { mode: 'template', template: '../{key}' } }, 400, /\.\./);
    await refused({ layout: { mode: 'template', template: '{dir}/{oops}' } }, 400, /unknown field/);
    await refused({ archiveName: '../evil.zip' }, 400, /plain file name/);
    await refused({ compression: 'bzip2' }, 400, /compression/);
    await refused(
      { sources: { bucket: suite.deps.config.FERRY_BUCKET, keys: ['a/../../x'] } },
      400,
      /do not exist|\.\./,
    );
  });

  it('answers the same job for a repeated POST with one idempotency key, and 409 for another body', async () => {
    const key = `same-${Math.random()}`;
    const request = body();
    const first = await suite.api.call<{ exportId: string; jobId: string }>('POST', '/v1/exports', {
      json: request,
      headers: { 'idempotency-key': key },
    });
    assert.equal(first.status, 202, first.text);
    const again = await suite.api.call<{ exportId: string; jobId: string }>('POST', '/v1/exports', {
      json: { ...request, clientRequestId: key },
    });
    assert.equal(again.status, 202, again.text);
    assert.equal(again.body.exportId, first.body.exportId);
    assert.equal(again.body.jobId, first.body.jobId);
    const other = await suite.api.call('POST', '/v1/exports', {
      json: { ...request, archiveName: 'other.zip', clientRequestId: key },
    });
    assert.equal(other.status, 409, other.text);

    const got = await suite.api.call<{ status: string; jobId: string }>(
      'GET',
      `/v1/exports/${first.body.exportId}`,
    );
    assert.equal(got.status, 200);
    assert.equal(got.body.jobId, workflowIds.export(first.body.exportId));
    const job = await suite.api.call<{ kind: string; resourceId: string }>(
      'GET',
      `/v1/jobs/${first.body.jobId}`,
    );
    assert.deepEqual([job.status, job.body.kind, job.body.resourceId], [200, 'export', first.body.exportId]);

    const cancelled = await suite.api.call<{ cancelRequested: boolean }>(
      'DELETE',
      `/v1/exports/${first.body.exportId}`,
    );
    assert.equal(cancelled.status, 202, cancelled.text);
    assert.equal(cancelled.body.cancelRequested, true);
    assert.equal(
      (await suite.api.call('GET', `/v1/exports/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)).status,
      404,
    );
  });
});
