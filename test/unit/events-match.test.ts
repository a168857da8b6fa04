import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeS3Key } from '../../src/api/events/schema';
import { notificationEvents } from '../../src/lib/bucket-notifications';
import { routeMatches, typeMatches, type RouteFilter } from '../../src/lib/route-match';

const any: RouteFilter = {
  eventTypes: ['*'],
  bucket: null,
  keyPrefix: null,
  keySuffix: null,
  keyGlob: null,
  serverId: null,
};
const s3 = (objectKey: string) => ({
  kind: 's3' as const,
  type: 's3:ObjectCreated:Put',
  bucket: 'b',
  objectKey,
  subject: null,
  serverId: null,
});

describe('route matching and key decoding', () => {
  it('decodes keys as S3 notifications escape them', () => {
    assert.equal(decodeS3Key('a+b%2Bc%25d+%C3%BC.txt'), 'a b+c%d ü.txt');
    assert.equal(decodeS3Key('in%2F%2e%2e%2Fx'), 'in/../x');
    assert.throws(() => decodeS3Key('%zz'), URIError);
  });

  it('matches types exactly or by a trailing "*"', () => {
    assert.ok(typeMatches('s3:ObjectCreated:*', 's3:ObjectCreated:Put'));
    assert.ok(!typeMatches('s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'));
    assert.ok(typeMatches('sftp.file.uploaded', 'sftp.file.uploaded'));
    assert.ok(!typeMatches('sftp.file', 'sftp.file.uploaded'));
  });

  it('applies bucket, prefix, suffix and glob filters, with no brace expansion', () => {
    assert.ok(routeMatches({ ...any, bucket: 'b', keyPrefix: 'in/', keySuffix: '.csv' }, s3('in/x.csv')));
    assert.ok(!routeMatches({ ...any, bucket: 'other' }, s3('in/x.csv')));
    assert.ok(routeMatches({ ...any, keyGlob: 'in/**/*.csv' }, s3('in/a/b/x.csv')));
    assert.ok(!routeMatches({ ...any, keyGlob: 'in/*.csv' }, s3('in/a/x.csv')));
    assert.ok(!routeMatches({ ...any, keyGlob: 'in/{a,b}.csv' }, s3('in/a.csv')));
    assert.ok(routeMatches({ ...any, keyGlob: 'in/{a,b}.csv' }, s3('in/{a,b}.csv')));
  });

  it('asks buckets only for the S3 event names routes can match', () => {
    assert.deepEqual(notificationEvents([{ eventTypes: ['s3:ObjectCreated:*', 'sftp.file.uploaded'] }]), [
      's3:ObjectCreated:*',
    ]);
    assert.deepEqual(notificationEvents([{ eventTypes: ['*'] }]), [
      's3:ObjectCreated:*',
      's3:ObjectRemoved:*',
    ]);
  });
});
