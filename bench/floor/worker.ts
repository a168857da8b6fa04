/**
 * Worker process of the Temporal floor measurement (bench/ingest.ts): the
 * same worker class and concurrency as Ferry's (src/worker.ts), running
 * only bench/floor/workflows.ts.
 */
import { NativeConnection } from '@temporalio/worker';
import { workerClassWithActivationTimeout } from '../../src/lib/sandbox-watchdog';
import { floorActivities } from './activities';

async function main(): Promise<void> {
  const { FLOOR_TASK_QUEUE: taskQueue, FLOOR_ADDRESS: address, FLOOR_NAMESPACE: namespace } = process.env;
  if (!taskQueue || !address || !namespace)
    throw new Error('FLOOR_TASK_QUEUE, FLOOR_ADDRESS, FLOOR_NAMESPACE');
  const connection = await NativeConnection.connect({ address });
  const FloorWorker = workerClassWithActivationTimeout(Number(process.env.FLOOR_ACTIVATION_TIMEOUT_MS));
  const worker = await FloorWorker.create({
    connection,
    namespace,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: floorActivities,
    maxConcurrentActivityTaskExecutions: 8,
    maxConcurrentLocalActivityExecutions: 16,
  });
  console.log('floor-worker-ready');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
