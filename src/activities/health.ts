import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { ActivityDeps } from './deps';

export function createHealthActivities({ db, s3, config }: ActivityDeps) {
  return {
    /** Proves a worker reaches the database and the bucket (used by the healthCheck workflow). */
    async checkDependencies(): Promise<{ database: 'ok'; objectStorage: 'ok' }> {
      await db.$queryRaw`SELECT 1`;
      await s3.send(new HeadBucketCommand({ Bucket: config.FERRY_BUCKET }));
      return { database: 'ok', objectStorage: 'ok' };
    },
  };
}
