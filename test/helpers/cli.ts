import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const ferryBin = path.join(repoRoot, 'bin/ferry.js');
const running = new Set<ChildProcess>();

/**
 * Runs bin/ferry.js as the npm bin does, with `env` added to (or, for
 * undefined values, removed from) the test's environment; `stdin` is written
 * to it; `whileRunning` may kill it.
 */
export async function runFerry(
  args: string[],
  env: Record<string, string | undefined>,
  options: { stdin?: string; whileRunning?: (pid: number) => Promise<void> } = {},
): Promise<CliRun> {
  const merged = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, [ferryBin, ...args], { env: merged, stdio: 'pipe' });
  running.add(child);
  child.stdin.end(options.stdin ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const closed = new Promise<CliRun>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  if (options.whileRunning && child.pid) await options.whileRunning(child.pid);
  return await closed;
}

/** Kills whatever a failed test left running. */
export function killFerryRuns(): void {
  for (const child of running) child.kill('SIGKILL');
}
