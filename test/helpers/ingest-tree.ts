import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Server } from '../../src/generated/prisma/client';
import { sftpAccount } from './env';
import { writeRandomFile } from './ingest-fixtures';
import { writeRemoteFile } from './sftp';

export interface Fixture {
  rel: string;
  size: number;
  sha256: string;
}

/** Writes files below the server's remote directory: small ones from memory, large ones streamed. */
export function writeTree(server: Server, sizes: Record<string, number>): Fixture[] {
  return Object.entries(sizes).map(([rel, size]) => {
    if (size > 8 * 1024 * 1024) return { rel, size, sha256: writeRandomFile(server, rel, size) };
    const data = randomBytes(size);
    writeRemoteFile(path.posix.join(server.remoteDir, rel), data);
    return { rel, size, sha256: createHash('sha256').update(data).digest('hex') };
  });
}

/** Every object key under a prefix (paged). */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Removes a test's fixtures below the SFTP account's start directory. */
export function removeRemoteDir(rel: string): void {
  rmSync(path.join(sftpAccount().root, rel), { recursive: true, force: true });
}

/** Removes a test's objects and its remote directory (large fixtures would pile up otherwise). */
export async function removeTree(s3: S3Client, server: Server): Promise<void> {
  const keys = await listKeys(s3, server.bucket, server.keyPrefix);
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: server.bucket, Delete: { Objects } }));
  }
  removeRemoteDir(server.remoteDir);
}
