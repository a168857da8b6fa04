import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { partSizeFor } from '../../src/activities/transfer/checkpoint';
import { loadConfig } from '../../src/config';
import { MiB } from '../../src/lib/units';

describe('transfer part size', () => {
  const max = 128 * MiB;
  it('grows for files over 10,000 parts, up to TRANSFER_MAX_PART_MIB', () => {
    assert.equal(partSizeFor(10 * MiB, 32 * MiB, max), 32 * MiB);
    assert.equal(partSizeFor(1024 * 1024 * MiB, 32 * MiB, max), 105 * MiB);
    assert.equal(partSizeFor(10_000 * max, 32 * MiB, max), max);
  });

  it('refuses a size the SFTP server claims that would need larger parts (4 TB: 400 MiB parts)', () => {
    assert.throws(
      () => partSizeFor(4 * 1024 ** 4, 32 * MiB, max),
      (err: unknown) =>
        err instanceof ApplicationFailure && err.type === 'SourceTooLarge' && err.nonRetryable,
    );
  });

  it('bounds the usual part size by the largest', () => {
    const config = loadConfig({
      API_TOKENS: 't',
      FERRY_SECRET_KEY: Buffer.alloc(32).toString('base64'),
      TRANSFER_PART_MIB: '256',
      TRANSFER_MAX_PART_MIB: '64',
    });
    assert.equal(config.transferPartBytes, 64 * MiB);
  });
});
