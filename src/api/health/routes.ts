import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Db } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import { headBucket } from '../../lib/s3';

export interface HealthDeps {
  db: Db;
  temporal: Client;
  s3: S3Client;
  bucket: string;
  log: Logger;
  /** The clock the cache reads (tests pass their own). */
  now?: () => number;
}

type Check = () => Promise<unknown>;

const TIMEOUT_MS = 2000;
/**
 * /readyz is unauthenticated: its answer is reused this long, so a flood of
 * probes costs the backends one round of checks per second at most.
 */
export const READYZ_CACHE_MS = 1000;

interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean }>;
}

async function probe(check: Check): Promise<{ ok: true } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /healthz: the process is up. /readyz: every dependency answers, each named.
 * A failing one is named without its error (which carries hosts, users and
 * ports); the details go to the log.
 */
export function healthRoutes(deps: HealthDeps): Router {
  const now = deps.now ?? Date.now;
  const checks: Record<string, Check> = {
    database: () => deps.db.$queryRaw`SELECT 1`,
    temporal: () => deps.temporal.workflowService.getSystemInfo({}),
    objectStorage: () => headBucket(deps.s3, deps.bucket),
  };
  async function checkAll(): Promise<Readiness> {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((n) => probe(checks[n] as Check)));
    const report: Readiness['checks'] = {};
    names.forEach((name, i) => {
      const result = results[i] as Awaited<ReturnType<typeof probe>>;
      report[name] = { ok: result.ok };
      if (!result.ok) deps.log.warn({ err: result.error, dependency: name }, 'readiness check failed');
    });
    return { ready: results.every((r) => r.ok), checks: report };
  }
  // Concurrent requests share the round of checks in flight, later ones its result until it ages out.
  let cached: { settledAt: number | undefined; result: Promise<Readiness> } | undefined;
  function readiness(): Promise<Readiness> {
    const stale = cached?.settledAt !== undefined && now() - cached.settledAt >= READYZ_CACHE_MS;
    if (!cached || stale) {
      const entry: NonNullable<typeof cached> = { settledAt: undefined, result: checkAll() };
      void entry.result.finally(() => (entry.settledAt = now()));
      cached = entry;
    }
    return cached.result;
  }

  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, checks: report } = await readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: report });
  });
  return router;
}
