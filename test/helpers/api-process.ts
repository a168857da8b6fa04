import path from 'node:path';
import { repoRoot, testEnv } from './env';
import { startProcess } from './processes';
import { waitFor } from './wait';

export type ApiProcess = Awaited<ReturnType<typeof startApiProcess>>;

/**
 * The real API (src/api/main.ts, as `npm start` runs it) in a process of its
 * own, with the test configuration plus `overrides`, on `port`: for tests
 * that kill it. Resolves once it answers /healthz. The API sets the event
 * sweep schedule of its task queue at start; the test removes it.
 */
export async function startApiProcess(overrides: Record<string, string>, port: number) {
  const proc = startProcess(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/api/main.ts')], {
    ...process.env,
    ...testEnv({ ...overrides, API_PORT: String(port) }),
  });
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    void proc.exited.then((code) =>
      reject(new Error(`the API exited (${code}) before ready:\n${proc.output()}`)),
    );
    waitFor(`the API process on ${port}`, async () => (await fetch(`${url}/healthz`)).ok, {
      timeoutMs: 120_000,
    }).then(() => resolve(), reject);
  });
  return { url, proc };
}
