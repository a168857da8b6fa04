import { migrate } from '../src/db/migrate';

// Usage: DATABASE_URL=... tsx scripts/migrate.ts
const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ferry';
migrate(url)
  .then((ran) => console.log(ran.length ? `applied: ${ran.join(', ')}` : 'database is up to date'))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
