import path from 'node:path';
import { repoRoot } from './paths';
import { startProcess } from './processes';

/**
 * An API in a child process that SIGKILLs itself right after its first
 * workflow start (test/helpers/api-crash-entry.ts), with the test
 * configuration plus `overrides`.
 */
export async function startDyingApi(overrides: Record<string, string>) {
  const proc = startProcess(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'test/helpers/api-crash-entry.ts')],
    { ...process.env, FERRY_TEST_OVERRIDES: JSON.stringify(overrides) },
  );
  const port = await new Promise<number>((resolve, reject) => {
    proc.child.stdout?.on('data', () => {
      const ready = /ferry-test-api-ready (\d+)/.exec(proc.output());
      if (ready) resolve(Number(ready[1]));
    });
    void proc.exited.then((code) =>
      reject(new Error(`API exited (${code}) before ready:\n${proc.output()}`)),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    /** Resolves once the process is gone: the workflow it started, and how it ended. */
    async died(): Promise<{ workflowId: string | undefined; signal: NodeJS.Signals | null }> {
      await proc.exited;
      const started = /ferry-test-api-started (\S+)/.exec(proc.output());
      return { workflowId: started?.[1], signal: proc.child.signalCode };
    },
    stop: () => proc.stop('SIGKILL'),
  };
}
