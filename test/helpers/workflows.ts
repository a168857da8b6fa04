import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../src/activities';
import { workflowBundlePath } from '../../bench/lib/bundle';
import { repoRoot } from '../../bench/lib/paths';
import { waitFor } from '../../bench/lib/wait';
import { FERRY_SEARCH_ATTRIBUTES } from '../../src/workflows/contract';
import { jobSinks } from '../../src/lib/observability/job-sink';

export { workflowBundlePath };

/**
 * The fast tier's set-up: workflow code on a Temporal dev server of its own,
 * with stub activities, and nothing else (no MinIO, sshd or PostgreSQL).
 */

/** The workflow bundle, as Worker.create takes it. */
export async function workflowBundle(encrypted = false): Promise<{ codePath: string }> {
  return { codePath: await workflowBundlePath(encrypted) };
}

/** A task queue of its own for each test, named after it. */
export function taskQueueFor(title: string): string {
  return `test-${title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60)}-${Date.now().toString(36)}`;
}

let runtimeInstalled = false;

/**
 * The process's Temporal runtime, once: the SDK's own logs at WARN (its INFO
 * lines would bury the test output). A test file that reads the worker's
 * metrics calls it first with a Prometheus address.
 */
export function quietRuntime(prometheusAddress?: string): void {
  if (runtimeInstalled) {
    if (prometheusAddress) throw new Error('the Temporal runtime of this process is installed already');
    return;
  }
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    ...(prometheusAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: prometheusAddress } } } }
      : {}),
  });
  runtimeInstalled = true;
}

/**
 * The `temporal` CLI that scripts/lib/tools.sh builds. @temporalio/testing
 * would download one at run time, which fails on machines without that
 * network access, so the fast tier always points it at this binary.
 */
export function temporalBinary(): string {
  const bin = path.join(repoRoot, '.tools/bin/temporal');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run test:fast\`, which builds it`);
  return bin;
}

/** A dev server of its own (in memory, random port) for one test file, started before and stopped after it. */
export function useWorkflowEnv(): { env: () => TestWorkflowEnvironment } {
  let env: TestWorkflowEnvironment | undefined;
  before(async () => {
    quietRuntime();
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalBinary() },
        ui: false,
        searchAttributes: [...FERRY_SEARCH_ATTRIBUTES],
      },
    });
  });
  after(async () => {
    await env?.teardown();
  });
  return {
    env: () => {
      if (!env) throw new Error('the workflow environment is used outside a test (before() has not run)');
      return env;
    },
  };
}

/** Plain functions registered under the real activity names; a test gives only those its workflow calls. */
export type StubActivities = Partial<{ [K in keyof Activities]: (...args: never[]) => unknown }>;

/** Runs `fn` while a worker with the real workflows and the stub activities polls `taskQueue`. */
export async function withStubWorker<T>(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: StubActivities,
  fn: () => Promise<T>,
): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    sinks: jobSinks,
    // Cancellation reaches an activity only in the answer to a heartbeat: send them at once.
    maxHeartbeatThrottleInterval: '50 milliseconds',
  });
  return await worker.runUntil(fn());
}

/**
 * A point inside a stub activity where it stops until the test lets it go:
 * the stub awaits `pass()`, the test awaits `reached` and then calls `open()`.
 */
export function createGate() {
  let arrived!: () => void;
  let opened!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const open = new Promise<void>((resolve) => (opened = resolve));
  return {
    reached,
    open: () => opened(),
    pass: async () => {
      arrived();
      await open;
    },
  };
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
export type HistoryEvent = NonNullable<History['events']>[number];

/** Waits until the workflow's history holds an event that `match` accepts. */
export async function waitForEvent(
  handle: WorkflowHandle,
  what: string,
  match: (event: HistoryEvent) => boolean,
): Promise<HistoryEvent> {
  return await waitFor(
    `${handle.workflowId}: ${what}`,
    async () => ((await handle.fetchHistory()).events ?? []).find(match),
    { timeoutMs: 20_000, intervalMs: 50 },
  );
}
