import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, servicesEnv } from './env';
import { freePort, startProcess } from './processes';
import { waitFor } from './wait';

/**
 * A MinIO of the test's own, for tests that stop object storage or fill it:
 * the shared one serves every other test and must never go down. Its data is
 * in a temporary directory it removes, or in `dataDir` (a small filesystem the
 * test mounted, say), which it leaves to the test.
 */
export async function startPrivateMinio(extraEnv: Record<string, string> = {}, given?: { dataDir: string }) {
  const dataDir = given?.dataDir ?? mkdtempSync(path.join(tmpdir(), 'ferry-minio-'));
  const port = await freePort();
  const consolePort = await freePort();
  const env = {
    ...process.env,
    MINIO_ROOT_USER: servicesEnv.S3_ACCESS_KEY_ID ?? 'ferryadmin',
    MINIO_ROOT_PASSWORD: servicesEnv.S3_SECRET_ACCESS_KEY ?? 'ferryadmin-secret',
    ...extraEnv,
  };
  const binary = path.join(repoRoot, '.tools/bin/minio');
  const args = [
    'server',
    dataDir,
    '--address',
    `127.0.0.1:${port}`,
    '--console-address',
    `127.0.0.1:${consolePort}`,
  ];
  let proc = startProcess(binary, args, env);
  const endpoint = `http://127.0.0.1:${port}`;

  const ready = async (): Promise<void> => {
    await waitFor(
      `private MinIO on ${port}`,
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`minio exited: ${proc.output()}`);
        return (await fetch(`${endpoint}/minio/health/ready`)).ok;
      },
      { timeoutMs: 30_000 },
    );
  };
  await ready();

  return {
    endpoint,
    async stop(): Promise<void> {
      await proc.stop();
    },
    /** Starts it again on the same port and data. */
    async restart(): Promise<void> {
      proc = startProcess(binary, args, env);
      await ready();
    },
    async destroy(): Promise<void> {
      await proc.stop();
      if (!given) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
