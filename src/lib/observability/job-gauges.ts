import { Gauge, type Registry } from 'prom-client';
import { JobKind } from '../../generated/prisma/client';
import type { Db } from '../db';

interface InFlight {
  kind: JobKind;
  status: 'queued' | 'running';
  count: number;
  oldestSeconds: number;
}

/**
 * Gauges read from the view "Job" on every scrape, so any API or worker
 * instance answers the same: jobs queued and running by kind, and the age of
 * the oldest running job of each kind (0 when none runs), so that one alert
 * rule on it catches a stuck job of any kind.
 */
export function registerJobGauges(registry: Registry, db: Db): void {
  let scrape: Promise<InFlight[]> | undefined;
  // Both gauges are collected for one scrape: they share one query.
  const inFlight = (): Promise<InFlight[]> => {
    scrape ??= readInFlight(db).finally(() => {
      scrape = undefined;
    });
    return scrape;
  };

  new Gauge({
    name: 'ferry_jobs_in_flight',
    help: 'Jobs queued or running now, by kind and status (from the view "Job").',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await inFlight()) this.set({ kind: row.kind, status: row.status }, row.count);
    },
  });

  new Gauge({
    name: 'ferry_job_oldest_running_age_seconds',
    help: 'Age of the oldest running job of each kind, since it started (0 when none is running).',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const rows = await inFlight();
      for (const kind of Object.values(JobKind)) {
        const running = rows.find((r) => r.kind === kind && r.status === 'running');
        this.set({ kind }, running?.oldestSeconds ?? 0);
      }
    },
  });
}

async function readInFlight(db: Db): Promise<InFlight[]> {
  // The view's timestamps are UTC without a time zone (Prisma's); now() is compared in UTC.
  return await db.$queryRaw<InFlight[]>`
    SELECT "kind", "status"::text AS "status", count(*)::int AS "count",
           extract(epoch FROM (now() AT TIME ZONE 'UTC') - min(coalesce("startedAt", "createdAt")))::float8
             AS "oldestSeconds"
      FROM "Job"
     WHERE "status" IN ('queued', 'running')
     GROUP BY "kind", "status"`;
}
