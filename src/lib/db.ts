import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

/**
 * Prisma 7 talks to PostgreSQL through the pg driver adapter: no engine binary.
 *
 * The pool is ours so that every connection gets an error listener the moment
 * it exists. A backend ended by the server (pg_terminate_backend, a restart, a
 * failover) sends its error at once; when that error arrives in the same
 * packet as the end of the connection's start-up, node-postgres emits it
 * before the adapter, which awaits the new connection for a transaction, has
 * listened for errors on it, and an 'error' event nobody listens to ends the
 * process. The error is not lost: the connection is marked unusable, so the
 * query or transaction on it fails (database unavailable, 503 in the API,
 * retried in activities) and the pool discards it when it is released.
 */
export function createDb(databaseUrl: string): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  pool.on('connect', (client) => client.on('error', ignoreConnectionError));
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}

function ignoreConnectionError(): void {
  // Reported by the query or transaction that uses the connection (above).
}

/** Prisma's error codes, recognised in one place: P2002 unique constraint, P2025 record not found. */
function prismaCode(err: unknown): string | undefined {
  return err instanceof Prisma.PrismaClientKnownRequestError ? err.code : undefined;
}

export function isUniqueViolation(err: unknown): boolean {
  return prismaCode(err) === 'P2002';
}

export function isRecordNotFound(err: unknown): boolean {
  return prismaCode(err) === 'P2025';
}
