import { utils as ssh2Utils } from 'ssh2';
import { z } from 'zod';
import { normalizeFingerprint } from '../../activities/sftp/connection';
import { FerryError } from '../../lib/errors';
import { globProblem, MAX_GLOB_LENGTH, MAX_GLOBS } from '../../lib/globs';
import { normalizeKeyPrefix, normalizeRemotePath } from '../../lib/keys';
import { CONTROL, printable } from '../fields';

/**
 * Request bodies of the servers API (docs/ingest.md). Unknown fields are
 * refused (a typo such as "minAge" must not silently keep the default), and
 * paths and prefixes are normalised here, once, by the rules of src/lib/keys.
 */

function refineGlob(pattern: string, ctx: z.RefinementCtx): void {
  const problem = globProblem(pattern);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

/** Runs one of src/lib/keys' normalisers, turning its ValidationError into a zod issue. */
function normalizedWith(fn: (value: string) => string) {
  return (value: string, ctx: z.RefinementCtx): string => {
    try {
      return fn(value);
    } catch (err) {
      if (!(err instanceof FerryError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
      return z.NEVER;
    }
  };
}

/** OpenSSH form, "SHA256:" and the unpadded base64 of a 32-byte digest. */
const fingerprint = z
  .string()
  .max(100)
  .transform((v) => normalizeFingerprint(v))
  .refine((v) => /^SHA256:[A-Za-z0-9+/]{43}$/.test(v), {
    message: 'must be an OpenSSH SHA-256 host key fingerprint, "SHA256:" followed by 43 base64 characters',
  });

/** The key must parse (PEM or OpenSSH format) and must not need a passphrase: Ferry stores none. */
const privateKey = z.string().min(1).max(16_384).refine(isUsablePrivateKey, {
  message: 'is not a private key ssh2 can read (PEM or OpenSSH format, without passphrase)',
});

/** ssh2 parses public keys too ("ssh-ed25519 AAAA…"), then refuses them at login: only a private one will do. */
function isUsablePrivateKey(key: string): boolean {
  const parsed = ssh2Utils.parseKey(key);
  return !(parsed instanceof Error) && parsed.isPrivateKey();
}

/** Amazon S3 bucket naming rules (general purpose buckets), which MinIO shares. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'may contain only lowercase letters, digits, "." and "-", and must start and end with a letter or digit';
  }
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be formatted as an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'must not start with a reserved prefix';
  if (/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name)) return 'must not end with a reserved suffix';
  return undefined;
}

const bucket = z.string().superRefine((name, ctx) => {
  const problem = bucketNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const remotePath = z.string().min(1).max(1024).transform(normalizedWith(normalizeRemotePath));
const globs = z.array(printable(MAX_GLOB_LENGTH).superRefine(refineGlob)).max(MAX_GLOBS);

const fields = {
  name: printable(100),
  host: printable(253).regex(/^[^\s/@]+$/, 'must be a host name or IP address'),
  port: z.int().min(1).max(65_535),
  username: printable(255),
  password: z.string().min(1).max(1024),
  privateKey,
  hostKeyFingerprint: fingerprint,
  remoteDir: remotePath,
  recursive: z.boolean(),
  include: globs,
  exclude: globs,
  minAgeSeconds: z
    .int()
    .min(0)
    .max(30 * 86_400),
  scanIntervalSeconds: z
    .int()
    .min(1)
    .max(7 * 86_400),
  bucket,
  keyPrefix: z.string().max(512).transform(normalizedWith(normalizeKeyPrefix)),
  afterTransfer: z.enum(['keep', 'delete', 'move']),
  archiveDir: remotePath,
  webhookUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2048)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters'),
  webhookSecret: z.string().min(1).max(1024),
  enabled: z.boolean(),
  /** How files of at most one part travel: a transferFile workflow each, or in batches (README). */
  smallFiles: z.enum(['workflow', 'batch']),
};

export const createServerBody = z.strictObject({
  name: fields.name,
  host: fields.host,
  port: fields.port.default(22),
  username: fields.username,
  password: fields.password.optional(),
  privateKey: fields.privateKey.optional(),
  hostKeyFingerprint: fields.hostKeyFingerprint,
  remoteDir: fields.remoteDir.default('.'),
  recursive: fields.recursive.default(false),
  include: fields.include.default([]),
  exclude: fields.exclude.default([]),
  minAgeSeconds: fields.minAgeSeconds.default(60),
  scanIntervalSeconds: fields.scanIntervalSeconds.default(300),
  bucket: fields.bucket,
  keyPrefix: fields.keyPrefix.default(''),
  afterTransfer: fields.afterTransfer.default('keep'),
  archiveDir: fields.archiveDir.nullish(),
  webhookUrl: fields.webhookUrl.nullish(),
  webhookSecret: fields.webhookSecret.nullish(),
  enabled: fields.enabled.default(true),
  smallFiles: fields.smallFiles.default('workflow'),
});
export type CreateServerBody = z.infer<typeof createServerBody>;

/** Every field optional; `null` clears the optional ones (secrets included). */
export const patchServerBody = z.strictObject({
  name: fields.name.optional(),
  host: fields.host.optional(),
  port: fields.port.optional(),
  username: fields.username.optional(),
  password: fields.password.nullish(),
  privateKey: fields.privateKey.nullish(),
  hostKeyFingerprint: fields.hostKeyFingerprint.optional(),
  remoteDir: fields.remoteDir.optional(),
  recursive: fields.recursive.optional(),
  include: fields.include.optional(),
  exclude: fields.exclude.optional(),
  minAgeSeconds: fields.minAgeSeconds.optional(),
  scanIntervalSeconds: fields.scanIntervalSeconds.optional(),
  bucket: fields.bucket.optional(),
  keyPrefix: fields.keyPrefix.optional(),
  afterTransfer: fields.afterTransfer.optional(),
  archiveDir: fields.archiveDir.nullish(),
  webhookUrl: fields.webhookUrl.nullish(),
  webhookSecret: fields.webhookSecret.nullish(),
  enabled: fields.enabled.optional(),
  smallFiles: fields.smallFiles.optional(),
});
export type PatchServerBody = z.infer<typeof patchServerBody>;

/** What the rules below need to know of a server, whether created or patched. */
export interface ServerRuleState {
  hasPassword: boolean;
  hasPrivateKey: boolean;
  remoteDir: string;
  afterTransfer: 'keep' | 'delete' | 'move';
  archiveDir: string | null;
}

/** Rules across fields, checked on the server as it will be stored (after a PATCH is merged). */
export function serverRuleProblems(s: ServerRuleState): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!s.hasPassword && !s.hasPrivateKey) {
    problems.push({ path: 'password', message: 'a password or a privateKey (or both) is required' });
  }
  if (s.afterTransfer === 'move' && !s.archiveDir) {
    problems.push({ path: 'archiveDir', message: 'is required when afterTransfer is "move"' });
  }
  if (s.afterTransfer === 'move' && s.archiveDir === s.remoteDir) {
    problems.push({ path: 'archiveDir', message: 'must differ from remoteDir' });
  }
  return problems;
}
