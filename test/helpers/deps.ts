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
