import { appendFileSync } from 'node:fs';

interface SftpOpen {
  open: (this: unknown, path: string, ...rest: unknown[]) => unknown;
}

/**
 * Appends the path of every file this process opens over SFTP to `logFile`,
 * one per line, by wrapping ssh2's SFTP client `open`. A worker child process
 * (worker-entry.ts) installs it when FERRY_TEST_SFTP_OPEN_LOG names a file, so
 * a test can tell which sources a worker read (a file is opened to be read).
 */
export function logSftpOpens(logFile: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ssh2 exports its SFTP class only there
  const proto = (require('ssh2/lib/protocol/SFTP.js') as { SFTP: { prototype: SftpOpen } }).SFTP.prototype;
  const { open } = proto;
  proto.open = function (this: unknown, path: string, ...rest: unknown[]) {
    appendFileSync(logFile, `${path}\n`);
    return open.call(this, path, ...rest);
  };
}
