import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseUnavailable, errorHandler } from '../../src/api/errors';
import { createLogger } from '../../src/lib/logger';

/** The shapes Prisma (with @prisma/adapter-pg) and node-postgres throw when the database goes away. */
const adapterError = (cause: object) => Object.assign(new Error('driver adapter error'), { cause });
const unavailable = {
  'pg_terminate_backend (57P01) through the adapter': adapterError({ kind: 'postgres', code: '57P01' }),
  'connection closed': adapterError({ kind: 'ConnectionClosed' }),
  'not reachable': adapterError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }),
  'Prisma P1001 with the adapter error in meta': Object.assign(new Error("Can't reach database server"), {
    code: 'P1001',
    meta: { driverAdapterError: adapterError({ kind: 'SocketTimeout' }) },
  }),
  'pool timeout P2024': Object.assign(new Error('Timed out fetching a new connection'), { code: 'P2024' }),
  'node-postgres mid-query': new Error('Connection terminated unexpectedly'),
  'a refused socket': Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
  }),
};
const notUnavailable = {
  'a unique violation': adapterError({ kind: 'UniqueConstraintViolation' }),
  'a syntax error': adapterError({ kind: 'postgres', code: '42601' }),
  'a plain bug': new TypeError('x is undefined'),
};

function answer(err: unknown) {
  const res = {
    statusCode: 0,
    headers: {} as Record<string, string>,
    body: undefined as unknown,
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    setHeader(name: string, value: string) {
      this.headers[name] = value;
    },
    json(body: unknown) {
      this.body = body;
    },
  };
  const handle = errorHandler(createLogger('silent', 'test'));
  handle(err, { method: 'GET', path: '/v1/uploads' } as never, res as never, () => undefined);
  return res;
}

describe('API error mapping: the database going away', () => {
  for (const [name, err] of Object.entries(unavailable)) {
    it(`answers 503 with Retry-After for ${name}`, () => {
      assert.equal(databaseUnavailable(err), true);
      const res = answer(err);
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '1');
      assert.deepEqual(res.body, {
        error: { code: 'unavailable', message: 'the database is unavailable; retry' },
      });
    });
  }
  for (const [name, err] of Object.entries(notUnavailable)) {
    it(`still answers 500 for ${name}`, () => {
      assert.equal(databaseUnavailable(err), false);
      assert.equal(answer(err).statusCode, 500);
    });
  }
});
