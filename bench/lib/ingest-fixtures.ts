import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Prisma, Server, Transfer } from '../../src/generated/prisma/client';
import { joinKey } from '../../src/lib/keys';
import { sealedIn, type SealedField } from '../../src/lib/sealed-fields';
import { encryptSecret } from '../../src/lib/secrets';
import { transferWorkflowId } from '../../src/lib/workflow-ids';
import { startTransferWorkflow } from '../../src/lib/transfer-start';
import { bucketSearchable } from '../../src/workflows/contract';
import type { transferFile } from '../../src/workflows/transfer';
import type { TestDeps } from './deps';
import { sftpAccount } from './env';

/**
 * Server and Transfer rows made directly in the database, as the servers API
 * and the scan would make them, so transfer tests do not depend on either.
 */
export async function createTestServer(
  deps: TestDeps,
  overrides: Partial<Prisma.ServerUncheckedCreateInput> = {},
  secrets: { webhookSecret?: string } = {},
): Promise<Server> {
  const id = overrides.id ?? randomUUID();
  const seal = (value: string, field: SealedField<'Server'>) =>
    encryptSecret(deps.config.secretKey, value, sealedIn('Server', id, field));
  const account = sftpAccount();
  const tag = randomUUID().slice(0, 8);
  createdDirs.add(path.join(account.root, `transfer-${tag}`));
  return await deps.db.server.create({
    data: {
      id,
      name: `transfer-test-${tag}`,
      host: account.host,
      port: account.port,
      username: account.username,
      privateKeyEnc: seal(readFileSync(account.privateKeyFile, 'utf8'), 'privateKeyEnc'),
      ...(secrets.webhookSecret ? { webhookSecretEnc: seal(secrets.webhookSecret, 'webhookSecretEnc') } : {}),
      hostKeyFingerprint: account.hostFingerprint,
      remoteDir: `transfer-${tag}`,
      recursive: true,
      minAgeSeconds: 0,
      bucket: deps.config.FERRY_BUCKET,
      keyPrefix: `transfer/${tag}/`,
      ...overrides,
    },
  });
}

const createdDirs = new Set<string>();

/** Removes the remote directories of the servers made here (large fixtures would pile up in the SFTP root). */
export function removeTestFiles(): void {
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
  createdDirs.clear();
}

/** The local path of a file below the server's remote directory. */
export function localPathOf(server: Server, rel: string): string {
  return path.join(sftpAccount().root, server.remoteDir, rel);
}

/** Writes `size` random bytes below the server's remote directory, owned by the SFTP account; returns the SHA-256. */
export function writeRandomFile(server: Server, rel: string, size: number): string {
  const full = localPathOf(server, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  const hash = createHash('sha256');
  const fd = openSync(full, 'w');
  try {
    for (let done = 0; done < size;) {
      const chunk = randomBytes(Math.min(4 * 1024 * 1024, size - done));
      hash.update(chunk);
      writeSync(fd, chunk);
      done += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  const root = sftpAccount().root;
  const owner = statSync(root);
  for (let p = full; p.startsWith(root) && p !== root; p = path.dirname(p))
    chownSync(p, owner.uid, owner.gid);
  return hash.digest('hex');
}

/** The Transfer row the scan would record for the file as it is now. */
export async function createTransferRow(deps: TestDeps, server: Server, rel: string): Promise<Transfer> {
  const st = statSync(localPathOf(server, rel));
  const remotePath = path.posix.join(server.remoteDir, rel);
  // SFTP reports mtime in whole seconds; the scan stores that × 1000.
  const mtimeMs = BigInt(Math.floor(st.mtimeMs / 1000) * 1000);
  const size = BigInt(st.size);
  return await deps.db.transfer.create({
    data: {
      serverId: server.id,
      remotePath,
      size,
      mtimeMs,
      workflowId: transferWorkflowId(server.id, remotePath, size, mtimeMs),
      bucket: server.bucket,
      objectKey: joinKey(server.keyPrefix, rel),
    },
  });
}

/** Starts the transfer workflow the way the scan does. */
export async function startTransfer(
  deps: TestDeps,
  row: Transfer,
  taskQueue: string,
): Promise<WorkflowHandle<typeof transferFile>> {
  // The way the scan and the API start it, so a small file runs as a local activity here too.
  const options = {
    taskQueue,
    partBytes: deps.config.transferPartBytes,
    labelBucket: bucketSearchable(deps.config),
  };
  const outcome = await startTransferWorkflow(deps.temporal, options, row);
  if (outcome !== 'started') throw new Error(`${row.workflowId} was already started`);
  return deps.temporal.workflow.getHandle<typeof transferFile>(row.workflowId);
}

export async function transferRow(deps: TestDeps, id: string): Promise<Transfer> {
  return await deps.db.transfer.findUniqueOrThrow({ where: { id } });
}

/** Parts recorded in the row's checkpoint so far. */
export function checkpointParts(row: Transfer): number {
  const cp = row.checkpoint as { parts?: unknown[] } | null;
  return cp?.parts?.length ?? 0;
}
