import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { databaseUnavailable, errorHandler } from '../../src/api/errors';
import { createDb, type Db } from '../../src/lib/db';
import { createLogger } from '../../src/lib/logger';

/** One PostgreSQL protocol message: type byte, length, body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** AuthenticationOk then ReadyForQuery: the end of a connection's start-up. */
const started = Buffer.concat([message('R', Buffer.alloc(4)), message('Z', Buffer.from('I', 'latin1'))]);
/** The ErrorResponse a backend sends when pg_terminate_backend() ends it. */
const terminated = message(
  'E',
  Buffer.from('SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0', 'latin1'),
);

/** How the fake server ends each connection. */
const endings: Record<string, (socket: Socket, firstPacket: boolean) => void> = {
  // pg_terminate_backend() reaching a backend right after its start-up: the error comes in the same
  // packet as ReadyForQuery, so node-postgres emits it as it hands the connection to its caller.
  'terminated with its start-up': (s) => s.end(Buffer.concat([started, terminated])),
  'terminated during a query': (s, first) => (first ? s.write(started) : s.end(terminated)),
  'closed during a query': (s, first) => (first ? s.write(started) : s.destroy()),
  'reset during a query': (s, first) => (first ? s.write(started) : s.resetAndDestroy()),
};

/**
 * A server speaking just enough of PostgreSQL's protocol to accept a
 * connection (no authentication) and end it as `ending` says.
 */
async function startFakePostgres(ending: (socket: Socket, firstPacket: boolean) => void): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let first = true;
    socket.on('data', () => {
      ending(socket, first);
      first = false;
    });
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  return await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The calls Ferry makes, each of which must fail as "database unavailable". */
const calls: Record<string, (db: Db) => Promise<unknown>> = {
  'an interactive transaction': (db) => db.$transaction(async (tx) => tx.$queryRaw`SELECT 1`),
  'a batch transaction': (db) => db.$transaction([db.server.findFirst()]),
  'a model query': (db) => db.server.findFirst(),
  'a raw query': (db) => db.$queryRaw`SELECT 1`,
};

/** The API's answer to an error (src/api/errors.ts). */
function answer(err: unknown): { status: number; retryAfter: string | undefined; body: unknown } {
  const res = { status: 0, retryAfter: undefined as string | undefined, body: undefined as unknown };
  const fake = {
    status: (code: number) => ((res.status = code), fake),
    setHeader: (name: string, value: string) => {
      if (name.toLowerCase() === 'retry-after') res.retryAfter = value;
    },
    json: (body: unknown) => (res.body = body),
  };
  errorHandler(createLogger('silent', 'test'))(
    err,
    { method: 'GET', path: '/' } as never,
    fake as never,
    () => 0,
  );
  return res;
}

async function assertUnavailable(db: Db, call: (db: Db) => Promise<unknown>): Promise<void> {
  const err = await call(db).then(
    () => assert.fail('the call cannot succeed'),
    (e: unknown) => e,
  );
  assert.equal(databaseUnavailable(err), true, `not recognised: ${String(err)}`);
  assert.deepEqual(answer(err), {
    status: 503,
    retryAfter: '1',
    body: { error: { code: 'unavailable', message: 'the database is unavailable; retry' } },
  });
}

/**
 * The errors Prisma, its pg adapter and node-postgres really raise when the
 * database drops a connection, from a fake PostgreSQL server (no database
 * needed): each is "database unavailable" (503 in the API), and none escapes
 * as an uncaught exception, which would end the API or the worker.
 */
describe('database connections lost', () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  before(() => process.on('uncaughtException', onUncaught));
  after(() => process.off('uncaughtException', onUncaught));

  for (const [how, ending] of Object.entries(endings)) {
    it(`fail as "database unavailable" when ${how}`, async () => {
      uncaught.length = 0;
      const server = await startFakePostgres(ending);
      const db = createDb(`postgresql://ferry@127.0.0.1:${(server.address() as AddressInfo).port}/ferry`);
      try {
        for (const [what, call] of Object.entries(calls)) {
          await assertUnavailable(db, call).catch((err: Error) => assert.fail(`${what}: ${err.message}`));
        }
        // Errors emitted along with a connection come in the same tick: give them a turn of the loop.
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(uncaught, []);
      } finally {
        await db.$disconnect();
        server.close();
      }
    });
  }

  it('fail as "database unavailable" when the server refuses connections', async () => {
    const server = await startFakePostgres(() => undefined);
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const db = createDb(`postgresql://ferry@127.0.0.1:${port}/ferry`);
    try {
      for (const call of Object.values(calls)) await assertUnavailable(db, call);
    } finally {
      await db.$disconnect();
    }
  });
});
