import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, sftpAccount } from './env';
import { freePort, startProcess } from './processes';
import { waitFor } from './wait';

/**
 * An sshd of the test's own, for tests that stop the SFTP server: the shared
 * one on 2222 serves every other test and must never go down. It reuses the
 * shared host key (same pinned fingerprint), authorized_keys, account and root.
 */
export async function startPrivateSshd() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-sshd-'));
  const port = await freePort();
  const account = sftpAccount();
  const keys = path.join(repoRoot, '.ferry/sshd');
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${keys}/ssh_host_ed25519_key`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${keys}/authorized_keys`,
      `AllowUsers ${account.username}`,
      'UsePAM no',
      'PasswordAuthentication yes',
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      `Match User ${account.username}`,
      `  ForceCommand internal-sftp -d ${account.root}`,
      '',
    ].join('\n'),
  );
  let proc = startProcess('/usr/sbin/sshd', ['-D', '-e', '-f', config]);
  const listening = () =>
    waitFor(`private sshd on ${port}`, () => {
      if (proc.child.exitCode !== null) throw new Error(`sshd exited: ${proc.output()}`);
      return new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket.destroy() !== undefined));
        socket.on('error', () => resolve(false));
      });
    });
  await listening();

  /** The listener and, below it, the processes of each connection (in sessions of their own). */
  const stop = async (): Promise<void> => {
    const pid = proc.child.pid;
    if (pid !== undefined) for (const child of descendantsOf(pid)) process.kill(child, 'SIGKILL');
    await proc.stop('SIGKILL');
  };

  return {
    port,
    /** Stops it hard, dropping every open connection, as a crashed or restarted server would. */
    stop,
    /** Starts it again on the same port. */
    async start(): Promise<void> {
      proc = startProcess('/usr/sbin/sshd', ['-D', '-e', '-f', config]);
      await listening();
    },
    async close(): Promise<void> {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function descendantsOf(pid: number): number[] {
  const children = childrenOf(pid);
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so split after ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
