import { Context } from '@temporalio/activity';
import type { Prisma } from '../../generated/prisma/client';
import { recordsPruned } from '../../lib/observability/worker-metrics';
import type { PruneKindInput, PrunedCounts } from '../../workflows/contract';
import type { ActivityDeps } from '../deps';
import { PLANS, type PrunePlan } from './plans';

type Tx = Prisma.TransactionClient;

/** Where a run of one kind has got to: heartbeated, so that a retry carries on (and keeps counting). */
interface Progress {
  /** The last row deleted, in the plan's order; rows before it are not looked at again. */
  after: { at: string; id: string };
  deleted: PrunedCounts;
}

const START = { at: '-infinity', id: '00000000-0000-0000-0000-000000000000' };

/** One batch of rows and their children, deleted under one transaction: at most this long. */
const TRANSACTION_TIMEOUT_MS = 10 * 60_000;

/**
 * Retention's clean-up (docs/retention.md), run by the `pruneRecords`
 * workflow one kind at a time. Each batch locks up to `batchRows` rows that
 * may go (FOR UPDATE SKIP LOCKED: a row being written is left for the next
 * run), deletes their children `batchRows` at a time, then the rows, and
 * commits; it repeats until a batch comes back short.
 */
export function createRetentionActivities({ db, log }: ActivityDeps) {
  return {
    async pruneKind({ kind, cutoff, batchRows }: PruneKindInput): Promise<PrunedCounts> {
      const plan = PLANS[kind];
      const ctx = Context.current();
      const progress: Progress = (ctx.info.heartbeatDetails as Progress | undefined) ?? {
        after: START,
        deleted: Object.fromEntries([plan.table, ...plan.children.map((c) => c.table)].map((t) => [t, 0])),
      };
      const beat = () => ctx.heartbeat(progress);
      for (;;) {
        ctx.cancellationSignal.throwIfAborted();
        const batch = await db.$transaction(
          (tx) => deleteBatch(tx, plan, { cutoff, batchRows }, progress, beat),
          { timeout: TRANSACTION_TIMEOUT_MS },
        );
        for (const [table, n] of Object.entries(batch.deleted)) {
          progress.deleted[table] = (progress.deleted[table] ?? 0) + n;
          if (n > 0) recordsPruned.inc({ table }, n);
        }
        if (batch.last) progress.after = batch.last;
        beat();
        if (batch.rows < batchRows) break;
      }
      if (Object.values(progress.deleted).some((n) => n > 0)) {
        log.info({ kind, cutoff, deleted: progress.deleted }, 'retention: rows of finished work deleted');
      }
      return progress.deleted;
    },
  };
}

async function deleteBatch(
  tx: Tx,
  plan: PrunePlan,
  { cutoff, batchRows }: { cutoff: string; batchRows: number },
  progress: Progress,
  beat: () => void,
): Promise<{ rows: number; last: Progress['after'] | undefined; deleted: PrunedCounts }> {
  const order = `p."${plan.order}"`;
  const rows = await tx.$queryRawUnsafe<{ id: string; at: string }[]>(
    `SELECT p."id"::text AS id, ${order}::text AS at FROM ${plan.from}
      WHERE ${plan.when} AND (${order}, p."id") > ($2::timestamp, $3::uuid)
      ORDER BY ${order}, p."id" LIMIT $4 FOR UPDATE OF p SKIP LOCKED`,
    cutoff,
    progress.after.at,
    progress.after.id,
    batchRows,
  );
  const deleted: PrunedCounts = {};
  if (rows.length === 0) return { rows: 0, last: undefined, deleted };
  const ids = rows.map((r) => r.id);
  for (const child of plan.children) {
    let count = 0;
    for (;;) {
      const n = await tx.$executeRawUnsafe(
        `DELETE FROM "${child.table}" WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM "${child.table}" WHERE "${child.key}" = ANY($1::uuid[]) LIMIT $2))`,
        ids,
        batchRows,
      );
      count += n;
      beat();
      if (n < batchRows) break;
    }
    deleted[child.table] = count;
  }
  deleted[plan.table] = await tx.$executeRawUnsafe(
    `DELETE FROM "${plan.table}" WHERE "id" = ANY($1::uuid[])`,
    ids,
  );
  return { rows: rows.length, last: rows.at(-1), deleted };
}
