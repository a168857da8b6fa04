import path from 'node:path';
import { Connection } from '@temporalio/client';
import { FERRY_SEARCH_ATTRIBUTES } from '../../src/workflows/contract';
import { repoRoot } from './paths';
import { freePort, startProcess } from './processes';
import { waitFor } from './wait';

/**
 * A Temporal dev server of the test's own, in memory: for tests that create
 * thousands of workflows, which the shared server (SQLite on disk) would
 * keep and which would otherwise have to be terminated one by one. Stopping it
 * discards them all.
 */
export async function startPrivateTemporal(): Promise<{ address: string; stop(): Promise<void> }> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const proc = startProcess(path.join(repoRoot, '.tools/bin/temporal'), [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--headless',
    ...FERRY_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
    '--log-level',
    'error',
  ]);
  try {
    await waitFor(
      `private Temporal on ${address}`,
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`temporal exited: ${proc.output()}`);
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return true;
        } finally {
          await connection.close();
        }
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { address, stop: () => proc.stop() };
}
