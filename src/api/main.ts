import { loadConfig } from '../config';
import { createDb } from '../lib/db';
import { createLogger } from '../lib/logger';
import { createS3 } from '../lib/s3';
import { ensureSchedule, eventSweepSchedule } from '../lib/schedules';
import { createTemporalClient } from '../lib/temporal';
import { createApp } from './app';
import { listen } from './listen';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'ferry-api');
  const db = createDb(config.DATABASE_URL);
  const s3 = createS3(config);
  const temporal = await createTemporalClient(config);
  const app = createApp({ config, db, s3, temporal, log });
  // Events this API stores but dies before starting are started by the sweep (docs/events.md, "Outbox").
  ensureSchedule(temporal, eventSweepSchedule(config), log);

  const server = await listen(app, config.API_PORT);
  log.info({ port: config.API_PORT }, 'ferry api listening');

  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    server.close(() => {
      void Promise.allSettled([db.$disconnect(), temporal.connection.close()]).then(() => process.exit(0));
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
