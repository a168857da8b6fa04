import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Round trips a worker process makes, counted by wrapping its clients'
 * request methods: S3 commands (by name), SQL statements sent to
 * PostgreSQL, and SFTP requests (by operation). bench:ingest divides them by
 * the files moved. A worker child process (worker-entry.ts) installs this
 * when FERRY_BENCH_REQUEST_COUNTS names a file; the counts are written there
 * when it exits.
 */
export type RequestCounts = Record<string, number>;

type Method = (this: unknown, ...args: unknown[]) => unknown;

function countCalls(
  proto: Record<string, unknown>,
  method: string,
  key: (args: unknown[]) => string,
  counts: RequestCounts,
): void {
  const original = proto[method] as Method | undefined;
  if (typeof original !== 'function') return;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    const name = key(args);
    counts[name] = (counts[name] ?? 0) + 1;
    return original.apply(this, args);
  };
}

const SFTP_REQUESTS = [
  'open',
  'close',
  'read',
  'write',
  'fstat',
  'stat',
  'lstat',
  'readdir',
  'opendir',
  'rename',
  'unlink',
  'mkdir',
  'setstat',
  'fsetstat',
  'realpath',
  'ext_openssh_rename',
];

export function countRequests(file: string): void {
  const counts: RequestCounts = {};
  /* eslint-disable @typescript-eslint/no-require-imports -- the modules whose prototypes are wrapped, as the worker loads them */
  const s3 = require('@aws-sdk/client-s3') as { S3Client: { prototype: Record<string, unknown> } };
  const pg = require('pg') as { Client: { prototype: Record<string, unknown> } };
  const sftp = require('ssh2/lib/protocol/SFTP.js') as { SFTP: { prototype: Record<string, unknown> } };
  /* eslint-enable @typescript-eslint/no-require-imports */
  countCalls(
    s3.S3Client.prototype,
    'send',
    (args) => `s3.${(args[0] as object).constructor.name.replace(/Command$/, '')}`,
    counts,
  );
  countCalls(pg.Client.prototype, 'query', () => 'sql', counts);
  for (const op of SFTP_REQUESTS) countCalls(sftp.SFTP.prototype, op, () => `sftp.${op}`, counts);
  process.on('exit', () => writeFileSync(file, JSON.stringify(counts)));
}

/** The counts a worker wrote on exit ({} if it did not get to write them). */
export function readRequestCounts(file: string): RequestCounts {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RequestCounts) : {};
}
