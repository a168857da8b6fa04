import type { Server } from 'node:http';
import { collectDefaultMetrics } from 'prom-client';
import { NativeConnection, Runtime, type Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { loadConfig } from './config';
import { createDb } from './lib/db';
import { createLogger } from './lib/logger';
import { ferryDataConverter } from './lib/payload-codec';
import { createS3 } from './lib/s3';
import { ensureSchedule, retentionSchedule } from './lib/schedules';
import { workerClassWithActivationTimeout } from './lib/sandbox-watchdog';
import { createTemporalClient } from './lib/temporal';
import { ObservedActivity } from './activities/observe';
import { jobSinks } from './lib/observability/job-sink';
import { registerJobGauges } from './lib/observability/job-gauges';
import { freeLoopbackPort, serveWorkerMetrics } from './lib/observability/metrics-server';
import { workerRegistry } from './lib/observability/worker-metrics';

export interface FerryWorkerOptions {
  connection: NativeConnection;
  taskQueue: string;
  /** A pre-built bundle (tests share one); otherwise workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** Reports how each job ended to the worker's metrics (src/workflows/observe.ts). */
export const workflowInterceptorModule = require.resolve('./workflows/observe');

/** Builds a worker that runs every Ferry workflow and activity. */
export async function createFerryWorker(deps: ActivityDeps, options: FerryWorkerOptions): Promise<Worker> {
  const FerryWorker = workerClassWithActivationTimeout(deps.config.WORKFLOW_ACTIVATION_TIMEOUT_MS);
  return await FerryWorker.create({
    connection: options.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: options.taskQueue,
    // A prebuilt bundle carries the workflow interceptor itself (bundleWorkflowCode's workflowInterceptorModules).
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities(deps),
    interceptors: {
      ...(options.workflowBundle ? {} : { workflowModules: [workflowInterceptorModule] }),
      activity: [(ctx) => ({ inbound: new ObservedActivity(ctx, deps.log) })],
    },
    sinks: jobSinks,
    dataConverter: ferryDataConverter(deps.config.payloadKeys),
    // Activities stream files: a few at a time per worker keeps memory bounded
    // (8 × two parts). Local ones hold a small file each (≤ 4 MiB, see
    // lib/transfer-start.ts): 16 × 4 MiB at most.
    maxConcurrentActivityTaskExecutions: 8,
    maxConcurrentLocalActivityExecutions: 16,
    shutdownGraceTime: '30 seconds',
    // Cancellation reaches an activity only in the answer to a heartbeat, and
    // heartbeats are otherwise sent every 0.8 × heartbeatTimeout (24 s for
    // transfers): flush them every 2 s so a cancelled transfer stops promptly.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'ferry-worker');
  const db = createDb(config.DATABASE_URL);
  let metricsServer: Server | undefined;
  if (config.WORKER_METRICS_PORT > 0) {
    const sdkPort = await freeLoopbackPort();
    Runtime.install({
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkPort}` } } },
    });
    collectDefaultMetrics({ register: workerRegistry, prefix: 'ferry_worker_' });
    registerJobGauges(workerRegistry, db);
    metricsServer = await serveWorkerMetrics(
      config.WORKER_METRICS_PORT,
      workerRegistry,
      `http://127.0.0.1:${sdkPort}/metrics`,
    );
  }
  const temporal = await createTemporalClient(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createFerryWorker(
    { config, db, s3: createS3(config), temporal, log },
    { connection, taskQueue: config.TEMPORAL_TASK_QUEUE },
  );
  // The clean-up of finished work runs in the workers and follows their configuration (docs/retention.md).
  ensureSchedule(temporal, retentionSchedule(config), log);
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'ferry worker running');
  // The SDK's Runtime turns SIGINT/SIGTERM into worker.shutdown(): in-flight
  // activities get shutdownGraceTime to finish, then run() resolves.
  await worker.run();
  metricsServer?.close();
  await Promise.allSettled([db.$disconnect(), temporal.connection.close(), connection.close()]);
  log.info('ferry worker stopped');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
}
