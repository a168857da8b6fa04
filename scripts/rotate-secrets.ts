import { loadConfig } from '../src/config';
import { createDb } from '../src/lib/db';
import { resealSecrets } from '../src/lib/secret-rotation';

// `npm run secrets:rotate`: re-seals every stored secret with the first key of FERRY_SECRET_KEYS
// (README, "Security"). Prints a JSON report; exits 1 when a secret could not be opened.
async function main(): Promise<void> {
  // Only the database and the keys matter here; the API's tokens need not be in this shell.
  const config = loadConfig({ API_TOKENS: 'unused-by-this-command', ...process.env });
  const db = createDb(config.DATABASE_URL);
  try {
    const report = await resealSecrets(db, config.secretKey);
    console.log(JSON.stringify({ key: config.secretKey.current, ...report }));
    if (report.failed.length) process.exitCode = 1;
  } finally {
    await db.$disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
