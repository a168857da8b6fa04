import { defineConfig } from 'prisma/config';

// The connection URL is read here for Prisma's CLI (`prisma migrate deploy`);
// at run time Ferry connects through the pg driver adapter (src/lib/db.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ferry' },
});
