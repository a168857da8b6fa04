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

interface LiveProcess {
  pid: number;
  name: string;
  fields: string[];
}

/** Every live process, with its /proc/PID/stat fields (a process that exits while we look is left out). */
function liveProcesses(): LiveProcess[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      return [{ pid: Number(entry), ...readStat(Number(entry)) }];
    } catch {
      return [];
    }
  });
}

/**
 * CPU seconds of a process and all its descendants, those still running and
 * those already reaped (e.g. sshd's listener and the per-connection sshd and
 * sftp-server processes it forked, including sessions that have closed).
 */
export function cpuSecondsOfTree(root: number): number {
  const live = liveProcesses();
  const inTree = new Set([root]);
  // Parents before children is not guaranteed by pid order: grow the set until it stops growing.
  for (let grew = true; grew;) {
    grew = false;
    for (const p of live) {
      if (!inTree.has(p.pid) && inTree.has(Number(p.fields[1]))) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  return live
    .filter((p) => inTree.has(p.pid))
    .reduce((sum, p) => sum + seconds(p.fields, 11) + seconds(p.fields, 13), 0);
}

/**
 * CPU seconds of the PostgreSQL backends serving `database` (their titles
 * name it). The cluster may be shared with other checkouts: its other
 * backends, and its shared WAL writer and checkpointer, are left out.
 */
export function postgresCpuSeconds(database: string): number {
  return liveProcesses()
    .filter((p) => p.name === 'postgres' && backendDatabase(p.pid) === database)
    .reduce((sum, p) => sum + seconds(p.fields, 11), 0);
}

/** "postgres: 15/main: user database host(port) state" → database. */
function backendDatabase(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(':')[2]?.trim().split(' ')[1];
  } catch {
    return undefined;
  }
}

/** The pid of a service started by scripts/services.sh (temporal, minio, sshd). */
export function servicePid(name: string): number {
  return Number(readFileSync(path.join(repoRoot, '.ferry/run', `${name}.pid`), 'utf8').trim());
}
