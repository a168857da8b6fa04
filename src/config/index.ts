/**
 * Ferry's whole configuration, read from the environment once and validated
 * at start-up. Every setting is documented here with its default; a test
 * checks that the README's configuration table lists each one.
 */
import type { z } from 'zod';
import type { OutboundPolicy } from '../lib/outbound';
import { parsePayloadKeys, type PayloadKey } from '../lib/payload-codec';
import { parseKeyring, type SecretKeyring } from '../lib/secrets';
import { schema } from './schema';
import { MiB } from '../lib/units';

export type { EventToken } from './event-tokens';

/** Names of every setting, for documentation checks. */
export const configKeys = Object.keys(schema.shape);

export type Config = Omit<
  z.infer<typeof schema>,
  'TRANSFER_PART_MIB' | 'UPLOAD_MAX_CHUNK_MIB' | 'FERRY_ALLOW_PRIVATE_WEBHOOKS' | 'FERRY_OUTBOUND_ALLOWLIST'
> & {
  transferPartBytes: number;
  /** Where outbound calls may go (src/lib/outbound). */
  outbound: OutboundPolicy;
  payloadKeys: PayloadKey[];
  codecCorsOrigins: string[];
  uploadMaxChunkBytes: number;
  /** The keys of FERRY_SECRET_KEYS and FERRY_SECRET_KEY (src/lib/secrets). */
  secretKey: SecretKeyring;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses and validates configuration; throws one error listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (!env.FERRY_SECRET_KEY && !env.FERRY_SECRET_KEYS?.trim()) {
    problems.push('FERRY_SECRET_KEY: FERRY_SECRET_KEYS or FERRY_SECRET_KEY is required');
  }
  if (!parsed.success || problems.length) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const {
    TRANSFER_PART_MIB,
    UPLOAD_MAX_CHUNK_MIB,
    FERRY_ALLOW_PRIVATE_WEBHOOKS,
    FERRY_OUTBOUND_ALLOWLIST,
    ...rest
  } = parsed.data;
  let payloadKeys: PayloadKey[];
  try {
    payloadKeys = parsePayloadKeys(rest.FERRY_PAYLOAD_KEYS);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  FERRY_PAYLOAD_KEYS: ${(err as Error).message}`);
  }
  return {
    payloadKeys,
    codecCorsOrigins: rest.FERRY_CODEC_CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    ...rest,
    outbound: { allowPrivate: FERRY_ALLOW_PRIVATE_WEBHOOKS, ...FERRY_OUTBOUND_ALLOWLIST },
    // The largest part bounds the usual one too.
    transferPartBytes: Math.min(TRANSFER_PART_MIB, rest.TRANSFER_MAX_PART_MIB) * MiB,
    uploadMaxChunkBytes: UPLOAD_MAX_CHUNK_MIB * MiB,
    secretKey: parseKeyring(rest.FERRY_SECRET_KEYS, rest.FERRY_SECRET_KEY),
  };
}
