import type { Prisma, Server } from '../../generated/prisma/client';
import { ValidationError } from '../../lib/errors';
import { encryptSecret } from '../../lib/secrets';
import { serverRuleProblems, type CreateServerBody, type PatchServerBody } from './schema';

/**
 * Request bodies → database rows. Secrets are encrypted here, the only place
 * the API holds them in clear; they are never logged nor returned.
 */
function seal(key: Buffer, value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? encryptSecret(key, value) : value;
}

export function createData(key: Buffer, body: CreateServerBody): Prisma.ServerCreateInput {
  const problems = serverRuleProblems({
    hasPassword: body.password !== undefined,
    hasPrivateKey: body.privateKey !== undefined,
    remoteDir: body.remoteDir,
    afterTransfer: body.afterTransfer,
    archiveDir: body.archiveDir ?? null,
  });
  if (problems.length) throw new ValidationError('invalid request body', problems);
  const { password, privateKey, webhookSecret, ...plain } = body;
  return {
    ...plain,
    archiveDir: body.archiveDir ?? null,
    webhookUrl: body.webhookUrl ?? null,
    passwordEnc: seal(key, password) ?? null,
    privateKeyEnc: seal(key, privateKey) ?? null,
    webhookSecretEnc: seal(key, webhookSecret) ?? null,
  };
}

/** A PATCH: absent fields stay, `null` clears; the cross-field rules are checked on the merged result. */
export function updateData(key: Buffer, current: Server, body: PatchServerBody): Prisma.ServerUpdateInput {
  const { password, privateKey, webhookSecret, ...plain } = body;
  const problems = serverRuleProblems({
    hasPassword: password === undefined ? current.passwordEnc !== null : password !== null,
    hasPrivateKey: privateKey === undefined ? current.privateKeyEnc !== null : privateKey !== null,
    remoteDir: body.remoteDir ?? current.remoteDir,
    afterTransfer: body.afterTransfer ?? current.afterTransfer,
    archiveDir: body.archiveDir === undefined ? current.archiveDir : body.archiveDir,
  });
  if (problems.length) throw new ValidationError('invalid request body', problems);
  const data: Prisma.ServerUpdateInput = { ...plain };
  if (password !== undefined) data.passwordEnc = seal(key, password);
  if (privateKey !== undefined) data.privateKeyEnc = seal(key, privateKey);
  if (webhookSecret !== undefined) data.webhookSecretEnc = seal(key, webhookSecret);
  return data;
}
