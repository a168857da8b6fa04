import { headBucket } from '../lib/s3';
import type { ActivityDeps } from './deps';

export function createHealthActivities({ db, s3, config }: ActivityDeps) {
  return {
    /** Proves a worker reaches the database and the bucket (used by the healthCheck workflow). */
    async checkDependencies(): Promise<{ database: 'ok'; objectStorage: 'ok' }> {
      await db.$queryRaw`SELECT 1`;
      await headBucket(s3, config.FERRY_BUCKET);
      return { database: 'ok', objectStorage: 'ok' };
    },
  };
}
