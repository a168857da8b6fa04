import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';

/** Clients handed to the activity factory; activities never create their own. */
export interface ActivityDeps {
  config: Config;
  db: Db;
  s3: S3Client;
  temporal: Client;
  log: Logger;
}
