import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { repoRoot } from './paths';

export { repoRoot };

/** Values written by `scripts/services.sh up` (ports, credentials, SFTP test account). */
function readServicesEnv(): Record<string, string> {
  const file = path.join(repoRoot, '.ferry/env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run the tests with \`npm test\`, which starts the services`);
  }
  const entries = text
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] as string, (m[2] as string).replace(/^['"]|['"]$/g, '')]);
  return Object.fromEntries(entries) as Record<string, string>;
}

export const servicesEnv = readServicesEnv();

export const TEST_TOKEN = 'test-token';

/** Configuration for tests: the services' addresses, the test database and bucket. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(testEnv(overrides));
}

/** The environment testConfig reads, for a Ferry process of a test's own (test/helpers/api-process.ts). */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...servicesEnv,
    DATABASE_URL: servicesEnv.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ferry_test',
    API_TOKENS: TEST_TOKEN,
    FERRY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    FERRY_BUCKET: 'ferry-test',
    LOG_LEVEL: 'silent',
    WORKER_METRICS_PORT: '0',
    // The tests' webhook receivers listen on loopback; tests of the outbound policy override this.
    FERRY_OUTBOUND_ALLOWLIST: '127.0.0.0/8,::1',
    // Tests make buckets of their own and scan every second; the tests of these limits override them.
    FERRY_ALLOWED_BUCKETS: '*',
    SCAN_INTERVAL_MIN_SECONDS: '1',
    ...overrides,
  };
}

export interface SftpAccount {
  host: string;
  port: number;
  username: string;
  password: string;
  privateKeyFile: string;
  hostFingerprint: string;
  /** Local path of the account's SFTP start directory, for writing fixtures directly. */
  root: string;
}

export function sftpAccount(): SftpAccount {
  const need = (name: string): string => {
    const v = servicesEnv[name];
    if (!v) throw new Error(`${name} missing from .ferry/env`);
    return v;
  };
  return {
    host: need('FERRY_SFTP_HOST'),
    port: Number(need('FERRY_SFTP_PORT')),
    username: need('FERRY_SFTP_USER'),
    password: need('FERRY_SFTP_PASSWORD'),
    privateKeyFile: need('FERRY_SFTP_KEY_FILE'),
    hostFingerprint: need('FERRY_SFTP_HOST_FINGERPRINT'),
    root: need('FERRY_SFTP_ROOT'),
  };
}
