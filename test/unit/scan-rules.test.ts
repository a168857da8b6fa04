import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileFilter, isStable } from '../../src/activities/scan/filter';
import { bigintReplacer } from '../../src/api/json';
import { bucketNameProblem, createServerBody } from '../../src/api/servers/schema';
import { decodeCursor, encodeCursor } from '../../src/api/transfers/cursor';
import { ValidationError } from '../../src/lib/errors';

describe('scan rules', () => {
  it('match globs against the path relative to remoteDir; bare patterns match the name at any depth', () => {
    const csvNotArchived = fileFilter(['*.csv'], ['old/**', '*.tmp.csv']);
    assert.equal(csvNotArchived('a.csv'), true);
    assert.equal(csvNotArchived('in/2024/b.csv'), true);
    assert.equal(csvNotArchived('.hidden.csv'), true, 'dot files are matched like any other');
    assert.equal(csvNotArchived('a.txt'), false);
    assert.equal(csvNotArchived('old/a.csv'), false, 'exclude wins');
    assert.equal(csvNotArchived('in/x.tmp.csv'), false);
    const onlyIn = fileFilter(['in/**'], []);
    assert.equal(onlyIn('in/a/b.bin'), true);
    assert.equal(onlyIn('out/in/b.bin'), false, 'a pattern with "/" is anchored at remoteDir');
    assert.equal(fileFilter([], [])('anything/at/all'), true, 'no include globs: everything');
  });

  it('call a file stable once its mtime is minAgeSeconds old; future mtimes are young', () => {
    const now = 1_800_000_000_000;
    assert.equal(isStable(now - 60_000, now, 60), true);
    assert.equal(isStable(now - 59_999, now, 60), false);
    assert.equal(isStable(now, now, 0), true);
    assert.equal(isStable(now + 5_000, now, 0), false);
  });
});

describe('servers API input rules', () => {
  it('follow the S3 bucket naming rules', () => {
    for (const ok of ['ferry', 'my-bucket.2024', 'a1b']) assert.equal(bucketNameProblem(ok), undefined, ok);
    for (const bad of [
      'ab',
      'A-bucket',
      'bucket_',
      '-bucket',
      'bucket-',
      'a..b',
      '10.0.0.1',
      'xn--abc',
      'x-s3alias',
    ]) {
      assert.notEqual(bucketNameProblem(bad), undefined, bad);
    }
    assert.notEqual(bucketNameProblem('a'.repeat(64)), undefined);
  });

  it('normalise fingerprints, paths and prefixes, and fill the defaults', () => {
    const parsed = createServerBody.parse({
      name: 'partner',
      host: 'sftp.example.com',
      username: 'u',
      password: 'p',
      hostKeyFingerprint: ' sha256:' + 'A'.repeat(43) + '= ',
      remoteDir: '/srv//in/./today',
      bucket: 'ferry',
      keyPrefix: 'partner//in',
    });
    assert.equal(parsed.hostKeyFingerprint, 'SHA256:' + 'A'.repeat(43));
    assert.equal(parsed.remoteDir, '/srv/in/today');
    assert.equal(parsed.keyPrefix, 'partner/in/');
    assert.equal(parsed.port, 22);
    assert.equal(parsed.minAgeSeconds, 60);
    assert.equal(parsed.afterTransfer, 'keep');
    assert.equal(parsed.enabled, true);
  });
});

describe('transfers API encoding', () => {
  it('serialises BigInt as a JSON number and refuses values it cannot represent exactly', () => {
    assert.equal(JSON.stringify({ size: 2n ** 40n }, bigintReplacer), '{"size":1099511627776}');
    assert.throws(() => JSON.stringify({ size: 2n ** 60n }, bigintReplacer), RangeError);
  });

  it('round-trips list cursors and refuses forged ones', () => {
    const row = {
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
      id: '7d5b1c0e-9a51-4d4e-8f57-2f1f1d3c9a10',
    };
    assert.deepEqual(decodeCursor(encodeCursor(row)), row);
    for (const bad of [
      '',
      'x',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["no date","x"]').toString('base64url'),
      Buffer.from(JSON.stringify(['2026-01-01T00:00:00Z', '-'.repeat(36)])).toString('base64url'),
      Buffer.from(JSON.stringify(['-100000-01-01T00:00:00Z', row.id])).toString('base64url'),
    ]) {
      assert.throws(() => decodeCursor(bad), ValidationError, bad);
    }
  });
});
