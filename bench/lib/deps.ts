import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../../src/activities';
import type { Config } from '../../src/config';
import { createDb, type Db } from '../../src/lib/db';
import { createLogger } from '../../src/lib/logger';
import { createS3, isS3NotFound } from '../../src/lib/s3';
import { createTemporalClient } from '../../src/lib/temporal';
import { testConfig } from './env';

export interface TestDeps extends ActivityDeps {
  config: Config;
  db: Db;
  s3: S3Client;
  temporal: Client;
  close(): Promise<void>;
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!isS3NotFound(err)) throw err;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/** Real clients against the local services, for one test file. */
export async function createTestDeps(overrides: Record<string, string> = {}): Promise<TestDeps> {
  const config = testConfig(overrides);
  const db = createDb(config.DATABASE_URL);
  const s3 = createS3(config);
  await ensureBucket(s3, config.FERRY_BUCKET);
  const temporal = await createTemporalClient(config);
  const log = createLogger(config.LOG_LEVEL, 'ferry-test');
  return {
    config,
    db,
    s3,
    temporal,
    log,
    async close() {
      s3.destroy();
      await Promise.allSettled([db.$disconnect(), temporal.connection.close()]);
    },
  };
}

/** Returns a promise to hold the call until it settles, or undefined to let the call through untouched. */
type DbHook = (model: string, method: string, args: unknown) => Promise<unknown> | undefined;

/**
 * The same deps, with `hook` consulted before every model call of the
 * database client (`db.transfer.update(args)` → hook('transfer', 'update',
 * args)): lets a test act at an exact point inside an activity run by a real
 * worker. Calls the hook lets through keep Prisma's own promise, which batch
 * transactions (`$transaction([...])`) require.
 */
export function withDbHook(deps: TestDeps, hook: DbHook): TestDeps {
  const real = deps.db;
  const models = new Map<string, unknown>();
  const hooked = (model: string, delegate: object) =>
    new Proxy(delegate, {
      get(target, method) {
        const value: unknown = Reflect.get(target, method, target);
        if (typeof value !== 'function' || typeof method !== 'string') return value;
        const call = (args: unknown) => (value as (a: unknown) => Promise<unknown>).call(target, args);
        return (args: unknown) => {
          const held = hook(model, method, args);
          return held ? held.then(() => call(args)) : call(args);
        };
      },
    });
  const db = new Proxy(real, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof prop !== 'string' || prop.startsWith('$') || typeof value !== 'object' || value === null) {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      if (!models.has(prop)) models.set(prop, hooked(prop, value));
      return models.get(prop);
    },
  });
  // Listed, not spread: `deps` may be a deferred proxy (helpers/suite.ts).
  const { config, s3, temporal, log } = deps;
  return { config, db, s3, temporal, log, close: () => deps.close() };
}
