import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { SEEN_REFRESH } from '../retention/plans';

/**
 * What retention needs from a listing (docs/retention.md): a transfer row may
 * go only once its file is gone from the server, which only a listing can
 * tell. Each listing refreshes the `seenAt` of the versions it finds (a row
 * at most once a day, so a large directory costs a write per file a day, not
 * per scan), and a complete one records on the server when it started. A row
 * not seen for a day before the server's `listedAt` was missing from that
 * listing. Nothing is written while retention is off (RETENTION_DAYS=0).
 */
export function createSeenRecorder(db: Db, serverId: string, enabled: boolean) {
  const startedAt = new Date().toISOString();
  return {
    /** Refreshes `seenAt` of the listed versions that have rows not refreshed for a day. */
    async seen(rows: readonly Prisma.TransferCreateManyInput[]): Promise<void> {
      if (!enabled || rows.length === 0) return;
      const now = new Date().toISOString();
      await db.$executeRawUnsafe(
        `UPDATE "Transfer" t SET "seenAt" = $2::timestamp
           FROM unnest($3::text[], $4::bigint[], $5::bigint[]) AS f("remotePath", "size", "mtimeMs")
          WHERE t."serverId" = $1::uuid AND t."remotePath" = f."remotePath" AND t."size" = f."size"
            AND t."mtimeMs" = f."mtimeMs" AND t."seenAt" < $2::timestamp - ${SEEN_REFRESH}`,
        serverId,
        now,
        rows.map((r) => r.remotePath),
        rows.map((r) => String(r.size)),
        rows.map((r) => String(r.mtimeMs)),
      );
    },
    /** The listing read every directory: it vouches for what is gone from the server. */
    async complete(): Promise<void> {
      if (!enabled) return;
      await db.$executeRawUnsafe(
        `UPDATE "Server" SET "listedAt" = $2::timestamp
          WHERE "id" = $1::uuid AND ("listedAt" IS NULL OR "listedAt" < $2::timestamp)`,
        serverId,
        startedAt,
      );
    },
  };
}
