import type { Prisma, Server } from '../../generated/prisma/client';
import { ValidationError } from '../../lib/errors';
import { randomUUID } from 'node:crypto';
import { sealedIn, type SealedField } from '../../lib/sealed-fields';
import { encryptSecret, type SecretKeyring } from '../../lib/secrets';
import { serverRuleProblems, type CreateServerBody, type PatchServerBody } from './schema';

/**
 * Request bodies → database rows. Secrets are encrypted here, the only place
 * the API holds them in clear; they are never logged nor returned.
 */
function seal(
  keys: SecretKeyring,
  id: string,
  field: SealedField<'Server'>,
  value: string | null | undefined,
): string | null | undefined {
  return typeof value === 'string' ? encryptSecret(keys, value, sealedIn('Server', id, field)) : value;
}

/** The row's ID is chosen here, not by the database: the secrets are sealed for it. */
export function createData(key: SecretKeyring, body: CreateServerBody): Prisma.ServerCreateInput {
  const problems = serverRuleProblems({
    hasPassword: body.password !== undefined,
    hasPrivateKey: body.privateKey !== undefined,
    remoteDir: body.remoteDir,
    afterTransfer: body.afterTransfer,
    archiveDir: body.archiveDir ?? null,
  });
  if (problems.length) throw new ValidationError('invalid request body', problems);
  const { password, privateKey, webhookSecret, ...plain } = body;
  const id = randomUUID();
  return {
    ...plain,
    id,
    archiveDir: body.archiveDir ?? null,
    webhookUrl: body.webhookUrl ?? null,
    passwordEnc: seal(key, id, 'passwordEnc', password) ?? null,
    privateKeyEnc: seal(key, id, 'privateKeyEnc', privateKey) ?? null,
    webhookSecretEnc: seal(key, id, 'webhookSecretEnc', webhookSecret) ?? null,
  };
}

/** The fields that say which host a stored credential is sent to. */
const TARGET_FIELDS = ['host', 'port', 'username', 'hostKeyFingerprint'] as const;

/**
 * A PATCH that points the server at another host (or account, or host key)
 * must carry its credentials again: a stored secret never goes to a host it
 * was not given for. The credentials the request carries replace the stored
 * ones; one it leaves out is cleared.
 */
function credentialsForNewTarget(current: Server, body: PatchServerBody): PatchServerBody {
  const changed = TARGET_FIELDS.filter((f) => body[f] !== undefined && body[f] !== current[f]);
  if (changed.length === 0) return body;
  if (typeof body.password !== 'string' && typeof body.privateKey !== 'string') {
    throw new ValidationError('invalid request body', [
      {
        path: 'password',
        message: `changing ${changed.join(', ')} requires the credentials again (password or privateKey) in the same request`,
      },
    ]);
  }
  return { ...body, password: body.password ?? null, privateKey: body.privateKey ?? null };
}

/** A PATCH: absent fields stay, `null` clears; the cross-field rules are checked on the merged result. */
export function updateData(
  key: SecretKeyring,
  current: Server,
  request: PatchServerBody,
): Prisma.ServerUpdateInput {
  const body = credentialsForNewTarget(current, request);
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
  if (password !== undefined) data.passwordEnc = seal(key, current.id, 'passwordEnc', password);
  if (privateKey !== undefined) data.privateKeyEnc = seal(key, current.id, 'privateKeyEnc', privateKey);
  if (webhookSecret !== undefined) {
    data.webhookSecretEnc = seal(key, current.id, 'webhookSecretEnc', webhookSecret);
  }
  return data;
}
