/**
 * CPU time of processes, from /proc (Linux), for the benchmarks' per-file
 * cost split: which process spends what while a run moves the same files.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** /proc/PID/stat: the command name, and the fields after it (the name may hold spaces). */
function readStat(pid: number | 'self'): { name: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const end = stat.lastIndexOf(')');
  return { name: stat.slice(stat.indexOf('(') + 1, end), fields: stat.slice(end + 2).split(' ') };
}

/** utime + stime (or, from index 13, cutime + cstime) in seconds. */
function seconds(fields: string[], from: number): number {
  return (Number(fields[from]) + Number(fields[from + 1])) / ticksPerSecond;
}

/** User + system CPU seconds a live process has used so far. */
export function cpuSeconds(pid: number): number {
  return seconds(readStat(pid).fields, 11);
}

/** CPU seconds of this process's children that have exited and been waited for (e.g. after spawnSync). */
export function reapedChildrenCpuSeconds(): number {
  return seconds(readStat('self').fields, 13);
}

/** CPU seconds of every live process with this command name (e.g. all PostgreSQL backends). */
export function cpuSecondsOfCommand(name: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readStat(Number(entry));
      if (stat.name === name) total += seconds(stat.fields, 11);
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
