import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { classifyS3Error, isStorageFull } from '../../src/lib/s3';
import { NON_RETRYABLE_TYPES, RetryableFailure } from '../../src/workflows/failures';

/** An error as the AWS SDK throws it: its name, message, HTTP status and the fields of the XML body. */
function sdkError(name: string, status: number, message: string, body: Record<string, string> = {}) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, ...body });
}

/** What MinIO answered (test/integration/fault-storage-full.test.ts gets it from a real full drive). */
const minioFull = sdkError(
  'XMinioStorageFull',
  507,
  'Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed.',
  { Code: 'XMinioStorageFull', BucketName: 'ferry-landing', Key: 'in/a.bin' },
);

describe('S3 error classification', () => {
  it('makes a full store a retryable StorageFull failure that names the bucket and says it is retried', () => {
    assert.ok(isStorageFull(minioFull));
    const failure = classifyS3Error(minioFull, 'UploadPart 2');
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, RetryableFailure.StorageFull);
    assert.equal(failure.nonRetryable, false);
    assert.match(
      failure.message,
      /^UploadPart 2: object storage is full \(bucket ferry-landing\): XMinioStorageFull: /,
    );
    assert.match(failure.message, /minimum free drive threshold/);
    assert.match(failure.message, /retried with backoff until space is freed$/);
  });

  it('recognises a bucket over its MinIO quota, a bare 507 (a HEAD has no body to name it) and ENOSPC mid-write', () => {
    const quota = sdkError('XMinioAdminBucketQuotaExceeded', 400, 'Bucket quota exceeded', {
      BucketName: 'ferry-quota',
    });
    const bare = sdkError('Unknown', 507, 'UnknownError');
    // The drive filled between MinIO's (cached) free-space check and the write.
    const enospc = sdkError(
      'InternalError',
      500,
      'We encountered an internal error, please try again.: cause(no space left on device)',
      { BucketName: 'ferry-landing' },
    );
    for (const [err, detail] of [
      [quota, /\(bucket ferry-quota\): XMinioAdminBucketQuotaExceeded: Bucket quota exceeded;/],
      [bare, /^PutObject: object storage is full: HTTP 507;/],
      [enospc, /\(bucket ferry-landing\): InternalError: .*no space left on device\);/],
    ] as const) {
      const failure = classifyS3Error(err, 'PutObject');
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.type, 'StorageFull');
      assert.equal(failure.nonRetryable, false);
      assert.match(failure.message, detail);
    }
  });

  it('keeps StorageFull out of every non-retryable list, and refusals in', () => {
    assert.ok(!(NON_RETRYABLE_TYPES as string[]).includes(RetryableFailure.StorageFull));
    const denied = classifyS3Error(sdkError('AccessDenied', 403, 'Access Denied.'), 'PutObject');
    assert.ok(denied instanceof ApplicationFailure);
    assert.equal(denied.type, 'StorageRejected');
    assert.equal(denied.nonRetryable, true);
  });

  it('leaves other errors as they were, for the retry policy and the guards to judge', () => {
    const slowDown = sdkError('SlowDown', 503, 'Please reduce your request rate.');
    const internal = sdkError('InternalError', 500, 'We encountered an internal error, please try again.');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
    for (const err of [slowDown, internal, refused, sdkError('NoSuchUpload', 404, 'gone')]) {
      assert.ok(!isStorageFull(err));
      assert.equal(classifyS3Error(err, 'UploadPart 1'), err);
    }
  });
});
