import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DefaultLogger } from '@temporalio/worker';
import { encodedFailuresPath } from '../../src/lib/payload-codec';
import { createFerryWorker } from '../../src/worker';
import type { TestDeps } from './deps';

const bundles = new Map<boolean, Promise<WorkflowBundleWithSourceMap>>();
let runtimeInstalled = false;

/**
 * Workflows are bundled once per test process (webpack takes seconds); with
 * payload encryption the bundle carries the failure converter that encodes
 * failure messages, as the worker's own bundle does (src/lib/payload-codec.ts).
 */
export function workflowBundle(encrypted = false): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(encrypted);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      logger: new DefaultLogger('WARN'),
      ...(encrypted ? { failureConverterPath: encodedFailuresPath } : {}),
    });
    bundles.set(encrypted, bundle);
  }
  return bundle;
}

/** A task queue of its own for each test, named after it. */
export function taskQueueFor(title: string): string {
  return `test-${title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60)}-${Date.now().toString(36)}`;
}

/**
 * Installs the process's Temporal runtime, once. A test file that reads the
 * worker's metrics calls it first with a Prometheus address; otherwise
 * withWorker installs it without metrics.
 */
export function installTestRuntime(prometheusAddress?: string): void {
  if (runtimeInstalled) throw new Error('the Temporal runtime of this process is installed already');
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    ...(prometheusAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: prometheusAddress } } } }
      : {}),
  });
  runtimeInstalled = true;
}

/** Runs `fn` while a real Ferry worker polls `taskQueue` on the dev server. */
export async function withWorker<T>(deps: TestDeps, taskQueue: string, fn: () => Promise<T>): Promise<T> {
  if (!runtimeInstalled) installTestRuntime();
  const connection = await NativeConnection.connect({ address: deps.config.TEMPORAL_ADDRESS });
  try {
    const worker = await createFerryWorker(deps, {
      connection,
      taskQueue,
      workflowBundle: await workflowBundle(deps.config.payloadKeys.length > 0),
    });
    return await worker.runUntil(fn());
  } finally {
    await connection.close();
  }
}
