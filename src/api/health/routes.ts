import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Db } from '../../lib/db';
import { headBucket } from '../../lib/s3';

export interface HealthDeps {
  db: Db;
  temporal: Client;
  s3: S3Client;
  bucket: string;
}

type Check = () => Promise<unknown>;

const TIMEOUT_MS = 2000;

async function probe(check: Check): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message || err.name : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz: the process is up. /readyz: every dependency answers, each named. */
export function healthRoutes(deps: HealthDeps): Router {
  const checks: Record<string, Check> = {
    database: () => deps.db.$queryRaw`SELECT 1`,
    temporal: () => deps.temporal.workflowService.getSystemInfo({}),
    objectStorage: () => headBucket(deps.s3, deps.bucket),
  };
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((n) => probe(checks[n] as Check)));
    const report = Object.fromEntries(names.map((n, i) => [n, results[i]]));
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: report });
  });
  return router;
}
