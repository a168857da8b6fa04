import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';

const required = { API_TOKENS: 'a,b', FERRY_SECRET_KEY: Buffer.alloc(32).toString('base64') };

describe('configuration', () => {
  it('applies the documented defaults when only the required settings are given', () => {
    const c = loadConfig(required);
    assert.equal(c.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(c.TEMPORAL_TASK_QUEUE, 'ferry');
    assert.equal(c.transferPartBytes, 32 * 1024 * 1024);
    assert.deepEqual(c.API_TOKENS, ['a', 'b']);
    assert.equal(c.S3_FORCE_PATH_STYLE, true);
  });

  it('rejects a missing token list and a short secret key, naming both', () => {
    assert.throws(
      () => loadConfig({ FERRY_SECRET_KEY: 'c2hvcnQ=' }),
      (err: unknown) =>
        err instanceof ConfigError && /API_TOKENS/.test(err.message) && /FERRY_SECRET_KEY/.test(err.message),
    );
  });

  it('takes a libpq socket URL for the database, and refuses what is not a PostgreSQL URL', () => {
    const socket = 'postgresql://postgres@/ferry?host=/var/run/postgresql';
    assert.equal(loadConfig({ ...required, DATABASE_URL: socket }).DATABASE_URL, socket);
    assert.throws(() => loadConfig({ ...required, DATABASE_URL: 'mysql://root@db/ferry' }), /DATABASE_URL/);
  });

  it('bounds the upload lifetime to 30 days, as a request may ask', () => {
    assert.equal(
      loadConfig({ ...required, UPLOAD_TTL_SECONDS: String(30 * 86_400) }).UPLOAD_TTL_SECONDS,
      2_592_000,
    );
    assert.throws(() => loadConfig({ ...required, UPLOAD_TTL_SECONDS: '1e15' }), /UPLOAD_TTL_SECONDS/);
  });

  it('rejects a part size below the S3 minimum of 5 MiB', () => {
    assert.throws(() => loadConfig({ ...required, TRANSFER_PART_MIB: '4' }), /TRANSFER_PART_MIB/);
  });

  it('keeps finished work 30 days by default, cleaned up hourly; 0 days keeps it forever', () => {
    const c = loadConfig(required);
    assert.deepEqual(
      [c.RETENTION_DAYS, c.RETENTION_INTERVAL_SECONDS, c.RETENTION_BATCH_ROWS],
      [30, 3600, 1000],
    );
    assert.equal(loadConfig({ ...required, RETENTION_DAYS: '0' }).RETENTION_DAYS, 0);
    assert.throws(() => loadConfig({ ...required, RETENTION_DAYS: '-1' }), /RETENTION_DAYS/);
    assert.throws(() => loadConfig({ ...required, RETENTION_DAYS: '1.5' }), /RETENTION_DAYS/);
    assert.throws(
      () => loadConfig({ ...required, RETENTION_INTERVAL_SECONDS: '10' }),
      /RETENTION_INTERVAL_SECONDS/,
    );
    assert.throws(() => loadConfig({ ...required, RETENTION_BATCH_ROWS: '0' }), /RETENTION_BATCH_ROWS/);
  });
});
