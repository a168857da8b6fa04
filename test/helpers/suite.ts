import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import type { Server } from '../../src/generated/prisma/client';
import { startTestApi, type TestApi } from './api-client';
import { createTestDeps, type TestDeps } from './deps';
import { removeTestFiles } from './ingest-fixtures';
import { removeTree } from './ingest-tree';
import { cleanupServer, terminateOpenWorkflows } from './servers';
import { startUploadsApi, type UploadsApi } from './uploads';

/**
 * The set-up most ingest test files share, registered as the file's
 * before/after hooks, so each file states only what differs (overrides).
 *
 * Returns the TestDeps as the tests use them: an object that forwards to the
 * real clients, which exist only once `before` has run.
 */
function deferred<T extends object>(what: string): { value: T; set(real: T | undefined): void } {
  let real: T | undefined;
  const value = new Proxy({} as T, {
    get(_target, prop) {
      if (!real) throw new Error(`${what} used outside a test (before() has not run)`);
      return Reflect.get(real, prop, real) as unknown;
    },
    // So that `{ ...deps, temporal }` copies the real clients.
    ownKeys: () => (real ? Reflect.ownKeys(real) : []),
    getOwnPropertyDescriptor: (_target, prop) =>
      real ? { ...Reflect.getOwnPropertyDescriptor(real, prop), configurable: true } : undefined,
  });
  return { value, set: (r) => (real = r) };
}

/** Transfer tests: test deps with `overrides`; afterwards the SFTP files written by the file are removed. */
export function useTransferDeps(overrides: Record<string, string> = {}): TestDeps {
  const deps = deferred<TestDeps>('test deps');
  let created: TestDeps | undefined;
  before(async () => {
    created = await createTestDeps(overrides);
    deps.set(created);
  });
  after(async () => {
    removeTestFiles();
    await created?.close();
  });
  return deps.value;
}

export interface IngestApi {
  deps: TestDeps;
  api: TestApi;
  taskQueue: string;
  /** The server the test registered: removed afterwards with its schedule, workflows and objects. */
  track: (server: Server) => void;
}

/**
 * Test deps with `overrides` and an API over them, as the file's before/after
 * hooks; `cleanup` runs first afterwards, then both are closed.
 */
function useDepsAndApi<A extends { close(): Promise<void> }>(
  overrides: Record<string, string>,
  cleanup: (created: { deps: TestDeps; api: A }) => Promise<void>,
  start: (deps: TestDeps) => Promise<A>,
): { deps: TestDeps; api: A } {
  const deps = deferred<TestDeps>('test deps');
  const api = deferred<A>('test API');
  let created: { deps: TestDeps; api: A } | undefined;
  before(async () => {
    const d = await createTestDeps(overrides);
    created = { deps: d, api: await start(d) };
    deps.set(created.deps);
    api.set(created.api);
  });
  after(async () => {
    if (!created) return;
    try {
      await cleanup(created);
    } finally {
      await created.api.close();
      await created.deps.close();
    }
  });
  return { deps: deps.value, api: api.value };
}

/** Ingest tests through the API: deps and an API on `taskQueue`; afterwards the tracked server is cleaned up. */
export function useIngestApi(taskQueue: string): IngestApi {
  let server: Server | undefined;
  const { deps, api } = useDepsAndApi(
    { TEMPORAL_TASK_QUEUE: taskQueue },
    async (created) => {
      if (!server) return;
      await cleanupServer(created.api, created.deps, server.id, taskQueue);
      await removeTree(created.deps.s3, server);
    },
    startTestApi,
  );
  return { deps, api, taskQueue, track: (s) => (server = s) };
}

/**
 * API tests that start workflows nobody runs: deps and an API whose task
 * queue no worker polls; afterwards the workflows they started are terminated.
 */
export function useApiWithoutWorker(overrides: Record<string, string> = {}): {
  deps: TestDeps;
  api: TestApi;
} {
  return useDepsAndApi(
    { TEMPORAL_TASK_QUEUE: `no-worker-${randomUUID()}`, ...overrides },
    (created) => terminateOpenWorkflows(created.deps.temporal, created.deps.config.TEMPORAL_TASK_QUEUE),
    startTestApi,
  );
}

/** Upload tests: deps on `taskQueue` and the uploads API (which counts chunk PUTs) over them. */
export function useUploadsApi(
  taskQueue: string,
  overrides: Record<string, string> = {},
): { deps: TestDeps; api: UploadsApi } {
  return useDepsAndApi(
    { TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'error', ...overrides },
    () => Promise.resolve(),
    startUploadsApi,
  );
}

/** Deps with `overrides` and an API over them, nothing else to clean up afterwards. */
export function useApi(overrides: Record<string, string> = {}): { deps: TestDeps; api: TestApi } {
  return useDepsAndApi(overrides, () => Promise.resolve(), startTestApi);
}
