import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { FERRY_SEARCH_ATTRIBUTES } from '../../src/workflows/contract';
import { repoRoot } from './paths';
import { freePort, startProcess } from './processes';
import { waitFor } from './wait';

export interface PrivateTemporal {
  address: string;
  /** Stops the server (and removes its SQLite file, when persistent). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: nothing is flushed or closed. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (and, when persistent, the same SQLite file) and waits until it answers. */
  restart(): Promise<void>;
}

export interface PrivateTemporalOptions {
  /**
   * Keeps the state in a SQLite file of a temporary directory (as the shared
   * dev server does, WAL with synchronous=normal) rather than in memory, so
   * that a `kill()` and `restart()` loses no workflow: for tests of a crash of
   * the Temporal server itself.
   */
  persistent?: boolean;
}

/**
 * A Temporal dev server of the test's own, in memory unless `persistent`: for
 * tests that create thousands of workflows, which the shared server (SQLite on
 * disk) would keep and which would otherwise have to be terminated one by one
 * (stopping it discards them all), and for tests that kill the server.
 */
export async function startPrivateTemporal(options: PrivateTemporalOptions = {}): Promise<PrivateTemporal> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const dir = options.persistent ? mkdtempSync(path.join(tmpdir(), 'ferry-temporal-')) : undefined;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--headless',
    // Registered when the SQLite file is new, ignored on a restart (it keeps them).
    ...FERRY_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
    ...(dir
      ? [
          '--db-filename',
          path.join(dir, 'temporal.db'),
          '--sqlite-pragma',
          'journal_mode=wal',
          '--sqlite-pragma',
          'synchronous=normal',
        ]
      : []),
    '--log-level',
    'error',
  ];
  const launch = async () => {
    const proc = startProcess(path.join(repoRoot, '.tools/bin/temporal'), args);
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
    return proc;
  };

  let proc: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    proc = await launch();
  } catch (err) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    address,
    async stop() {
      await proc?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await proc?.stop('SIGKILL');
    },
    async restart() {
      if (proc?.child.exitCode === null && proc.child.signalCode === null)
        throw new Error('restart() of a Temporal server still running: kill() it first');
      proc = await launch();
    },
  };
}
