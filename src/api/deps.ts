import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';

/** What every route handler may use; created once in main.ts (or by a test). */
export interface ApiDeps {
  config: Config;
  db: Db;
  s3: S3Client;
  temporal: Client;
  log: Logger;
}
