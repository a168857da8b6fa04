/**
 * Entry point of an API child process that dies (SIGKILL, by its own hand)
 * right after it starts a workflow, before it answers: the real Express app
 * with the test configuration, whose Temporal client kills the process as
 * soon as `workflow.start` returns. Test only (test/integration/jobs-crash.test.ts):
 * nothing in src/ knows of it. An export's row is then not yet written by
 * the API; a batch's transaction is not yet committed.
 */
import { writeSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { listen } from '../../src/api/listen';
import { createTestDeps } from './deps';

/** The Temporal client, except that the process dies the moment a workflow start has been accepted. */
function dyingAfterStart(real: Client): Client {
  return new Proxy(real, {
    get(target, prop) {
      if (prop !== 'workflow') return Reflect.get(target, prop, target) as unknown;
      return new Proxy(target.workflow, {
        get(wf, p) {
          if (p !== 'start') return Reflect.get(wf, p, wf) as unknown;
          return async (...args: Parameters<Client['workflow']['start']>) => {
            const handle = await wf.start(...args);
            // Written synchronously: the parent learns which workflow was started before the process goes.
            writeSync(1, `ferry-test-api-started ${handle.workflowId}\n`);
            process.kill(process.pid, 'SIGKILL');
            return handle;
          };
        },
      });
    },
  });
}

async function main(): Promise<void> {
  const overrides = JSON.parse(process.env.FERRY_TEST_OVERRIDES ?? '{}') as Record<string, string>;
  const deps = await createTestDeps(overrides);
  const app = createApp({ ...deps, temporal: dyingAfterStart(deps.temporal) });
  const server = await listen(app, 0, '127.0.0.1');
  const address = server.address();
  console.log(`ferry-test-api-ready ${typeof address === 'object' && address ? address.port : ''}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
