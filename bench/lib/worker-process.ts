import path from 'node:path';
import { startProcess } from './processes';
import { repoRoot } from './paths';
import { workflowBundlePath } from './bundle';

/**
 * A Ferry worker in a child process, for tests that kill it (SIGKILL) and
 * benchmarks that measure its memory. It runs bench/lib/worker-entry.ts
 * with the test configuration plus `overrides`, on its own task queue, with
 * the workflow bundle built once (bundling takes seconds).
 */
export type WorkerProcess = ReturnType<typeof startProcess>;

export async function startWorkerProcess(
  taskQueue: string,
  overrides: Record<string, string> = {},
  /** Environment of the test harness itself (FERRY_TEST_SFTP_OPEN_LOG, see worker-entry.ts). */
  harnessEnv: Record<string, string> = {},
): Promise<WorkerProcess> {
  const proc = startProcess(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'bench/lib/worker-entry.ts')],
    {
      ...process.env,
      ...harnessEnv,
      FERRY_TEST_TASK_QUEUE: taskQueue,
      // With payload keys the bundle carries the failure converter that encrypts failure messages.
      FERRY_TEST_BUNDLE: await workflowBundlePath(Boolean(overrides.FERRY_PAYLOAD_KEYS)),
      FERRY_TEST_OVERRIDES: JSON.stringify(overrides),
      // As npm start and the image run the worker (README, notes); bench:ingest measures this process.
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    },
  );
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('ferry-test-worker-ready')) resolve();
    };
    proc.child.stdout?.on('data', onData);
    void proc.exited.then((code) =>
      reject(new Error(`worker exited (${code}) before ready:\n${proc.output()}`)),
    );
  });
  await ready;
  return proc;
}
