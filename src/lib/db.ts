import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

/** Prisma 7 talks to PostgreSQL through the pg driver adapter: no engine binary. */
export function createDb(databaseUrl: string): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
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
