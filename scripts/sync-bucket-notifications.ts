import { loadConfig } from '../src/config';
import { syncBucketNotifications } from '../src/lib/bucket-notifications';
import { createDb } from '../src/lib/db';
import { createS3 } from '../src/lib/s3';

// Usage: npm run events:notify — sets the notification configuration of every bucket a route watches
// (FERRY_EVENTS_NOTIFY_ARN), as route changes do; for buckets configured before Ferry managed them.
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.FERRY_EVENTS_NOTIFY_ARN) throw new Error('FERRY_EVENTS_NOTIFY_ARN is not set');
  const db = createDb(config.DATABASE_URL);
  const s3 = createS3(config);
  try {
    const routes = await db.route.findMany({ where: { bucket: { not: null } } });
    for (const bucket of new Set(routes.map((r) => r.bucket as string))) {
      const watching = routes.filter((r) => r.bucket === bucket && r.enabled);
      const events = await syncBucketNotifications(s3, config.FERRY_EVENTS_NOTIFY_ARN, bucket, watching);
      console.log(`${bucket}: ${events.join(', ') || 'no events (configuration removed)'}`);
    }
  } finally {
    s3.destroy();
    await db.$disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
