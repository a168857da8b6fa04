/**
 * Entry point of a worker child process (see worker-process.ts): a real Ferry
 * worker with the test configuration, on the task queue the parent names.
 */
import { NativeConnection } from '@temporalio/worker';
import { createFerryWorker } from '../../src/worker';
import { createTestDeps } from './deps';
import { countRequests } from './request-counts';
import { logSftpOpens } from './sftp-open-log';

async function main(): Promise<void> {
  const taskQueue = process.env.FERRY_TEST_TASK_QUEUE;
  const codePath = process.env.FERRY_TEST_BUNDLE;
  if (!taskQueue || !codePath) throw new Error('FERRY_TEST_TASK_QUEUE and FERRY_TEST_BUNDLE are required');
  const overrides = JSON.parse(process.env.FERRY_TEST_OVERRIDES ?? '{}') as Record<string, string>;
  if (process.env.FERRY_TEST_SFTP_OPEN_LOG) logSftpOpens(process.env.FERRY_TEST_SFTP_OPEN_LOG);
  if (process.env.FERRY_BENCH_REQUEST_COUNTS) countRequests(process.env.FERRY_BENCH_REQUEST_COUNTS);
  const deps = await createTestDeps(overrides);
  const connection = await NativeConnection.connect({ address: deps.config.TEMPORAL_ADDRESS });
  const worker = await createFerryWorker(deps, { connection, taskQueue, workflowBundle: { codePath } });
  console.log('ferry-test-worker-ready');
  await worker.run();
  await connection.close();
  await deps.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
