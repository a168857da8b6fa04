import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import type { Server } from '../../src/generated/prisma/client';
import { startTestApi, type TestApi } from './api-client';
import { createTestDeps, type TestDeps } from './deps';
import { removeExportDirs, removePrefix } from './exports';
import { createTestServer, removeTestFiles } from './ingest-fixtures';
import { terminateOpenWorkflows } from './servers';
import { taskQueueFor } from './worker';

export interface ExportSuite {
  deps: TestDeps;
  api: TestApi;
  /** A registered server for the test SFTP account (its secrets in the database, as in production). */
  server: Server;
  taskQueue: string;
  /** Key prefix of this file's source objects in the test bucket, removed afterwards. */
  prefix: string;
}

/** Export tests: deps, an API on the file's own task queue and a target server; all removed afterwards. */
export function useExportSuite(title: string, overrides: Record<string, string> = {}): ExportSuite {
  const suite = {} as ExportSuite;
  suite.taskQueue = taskQueueFor(title);
  suite.prefix = `exports-test/${randomUUID().slice(0, 8)}/`;
  before(async () => {
    suite.deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: suite.taskQueue, ...overrides });
    suite.api = await startTestApi(suite.deps);
    suite.server = await createTestServer(suite.deps);
  });
  after(async () => {
    if (!suite.deps) return;
    try {
      await terminateOpenWorkflows(suite.deps.temporal, suite.taskQueue);
      await removePrefix(suite.deps.s3, suite.deps.config.FERRY_BUCKET, suite.prefix);
      const staged = await suite.deps.db.export.findMany({ where: { serverId: suite.server.id } });
      for (const e of staged) {
        await removePrefix(
          suite.deps.s3,
          e.bucket,
          `${suite.deps.config.FERRY_STAGING_PREFIX}exports/${e.id}/`,
        );
      }
      await suite.deps.db.export.deleteMany({ where: { serverId: suite.server.id } });
      await suite.deps.db.server.delete({ where: { id: suite.server.id } });
    } finally {
      removeExportDirs();
      removeTestFiles();
      await suite.api?.close();
      await suite.deps.close();
    }
  });
  return suite;
}
