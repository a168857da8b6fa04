import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../src/activities';
import { encodedFailuresPath } from '../../src/lib/payload-codec';
import { FERRY_SEARCH_ATTRIBUTES } from '../../src/workflows/contract';
import { repoRoot } from './paths';
import { waitFor } from './wait';

/**
 * The fast tier's set-up: workflow code on a Temporal dev server of its own,
 * with stub activities, and nothing else (no MinIO, sshd or PostgreSQL).
 */

/** Every file of a tree, sorted, for a content hash. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}

/**
 * Where the workflow bundle of the current sources is cached: named after a
 * hash of src/ and the lock file, so any change to the code or the SDK makes
 * a new one, and the test files of one run (each its own process) bundle once.
 */
function bundleCacheFile(encrypted: boolean): string {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(path.join(repoRoot, 'src')), path.join(repoRoot, 'package-lock.json')]) {
    hash.update(path.relative(repoRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const name = `workflows-${hash.digest('hex').slice(0, 16)}${encrypted ? '-encrypted' : ''}.js`;
  return path.join(repoRoot, '.ferry/cache', name);
}

const bundlePaths = new Map<boolean, Promise<string>>();

/**
 * The path of the workflow bundle (webpack takes seconds, so it is built once
 * and cached on disk). With payload encryption the bundle carries the failure
 * converter that encodes failure messages, as the worker's own bundle does
 * (src/lib/payload-codec.ts).
 */
export function workflowBundlePath(encrypted = false): Promise<string> {
  let bundlePath = bundlePaths.get(encrypted);
  if (!bundlePath) {
    bundlePath = buildBundle(bundleCacheFile(encrypted), encrypted);
    bundlePaths.set(encrypted, bundlePath);
  }
  return bundlePath;
}

async function buildBundle(file: string, encrypted: boolean): Promise<string> {
  if (existsSync(file)) return file;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: new DefaultLogger('WARN'),
    ...(encrypted ? { failureConverterPath: encodedFailuresPath } : {}),
  });
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: a test file running at the same time never reads half a bundle.
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, code);
  renameSync(partial, file);
  const current = path.basename(file).slice(0, 'workflows-'.length + 16);
  for (const old of readdirSync(dir)) {
    if (/^workflows-[0-9a-f]{16}/.test(old) && !old.startsWith(current))
      rmSync(path.join(dir, old), { force: true });
  }
  return file;
}

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
