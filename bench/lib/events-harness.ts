import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** The checkout the benchmark runs from. */
export const checkoutRoot = path.resolve(__dirname, '../..');

/** `.ferry/env`, written by `scripts/services.sh up`: where the local services listen. */
export function localServicesEnv(): Record<string, string> {
  const file = path.join(checkoutRoot, '.ferry/env');
  const pairs: [string, string][] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) pairs.push([m[1], m[2].replace(/^['"]|['"]$/g, '')]);
  }
  return Object.fromEntries(pairs);
}

/** A loopback port free right now. */
export function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A Ferry entry point (`src/api/main.ts`, `src/worker.ts`) run by tsx in a child process, its output kept. */
export function runEntry(entry: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(checkoutRoot, entry)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    output: () => tail,
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/** Polls `ready` every `everyMs` until it is true; throws after `timeoutMs`. */
export async function pollUntil(
  what: string,
  ready: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 250,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(ready)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
