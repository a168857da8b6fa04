/**
 * CPU time of processes, from /proc (Linux), for the benchmarks' per-file
 * cost split: which process spends what while a run moves the same files.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../test/helpers/paths';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Fields after the command name in /proc/PID/stat (the name may hold spaces). */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds a live process has used so far. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / ticksPerSecond;
}

/** CPU seconds of this process's children that have exited and been waited for (e.g. after spawnSync). */
export function reapedChildrenCpuSeconds(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / ticksPerSecond;
}

/** CPU seconds of every live process with this command name (e.g. all PostgreSQL backends). */
export function cpuSecondsOfCommand(name: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === name)
        total += cpuSeconds(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return total;
}

/** The pid of a service started by scripts/services.sh (temporal, minio, sshd). */
export function servicePid(name: string): number {
  return Number(readFileSync(path.join(repoRoot, '.ferry/run', `${name}.pid`), 'utf8').trim());
}
