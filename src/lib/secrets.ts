import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelope for SFTP passwords, keys and webhook secrets at rest.
 *
 * Format "v2:<keyId>:" + base64(iv[12] | tag[16] | ciphertext). The key ID
 * says which key of the ring sealed it, so keys can be rotated
 * (`npm run secrets:rotate`, README "Security"). The additional authenticated
 * data names the row and field it belongs to: a ciphertext copied into
 * another row or column (say, a server's password into the webhook secret of
 * a server the caller controls) does not decrypt.
 *
 * The older "v1:" + base64(iv | tag | ciphertext), sealed without key ID or
 * binding, still decrypts (with any key of the ring), so stored rows keep
 * working until the rotation command re-seals them as v2.
 */
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
/** Set explicitly: decryption must not accept a truncated tag. */
const TAG_BYTES = 16;
const V1 = 'v1:';
const V2 = 'v2:';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export interface SecretKeyring {
  /** ID of the key new secrets are sealed with. */
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** Where a sealed secret lives: it decrypts only there. */
export interface SecretBinding {
  table: string;
  id: string;
  field: string;
}

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/** The ID of the key FERRY_SECRET_KEY holds when it is given alone or beside FERRY_SECRET_KEYS. */
export const LEGACY_KEY_ID = 'default';

/**
 * Builds the keyring from FERRY_SECRET_KEYS (`id:base64,…`, the first seals)
 * and FERRY_SECRET_KEY (a bare base64 key, ID `default`: it seals only when
 * FERRY_SECRET_KEYS is not set). Every key is 32 bytes.
 */
export function parseKeyring(keys: string | undefined, legacyKey: string | undefined): SecretKeyring {
  const ring = new Map<string, Buffer>();
  for (const entry of (keys ?? '').split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    if (colon < 0 || !KEY_ID.test(id)) {
      throw new SecretError('each key must be written id:base64, the id of letters, digits, "_" or "-"');
    }
    if (ring.has(id)) throw new SecretError(`key id "${id}" is listed twice`);
    ring.set(id, keyBytes(entry.slice(colon + 1), `key "${id}"`));
  }
  if (legacyKey && !ring.has(LEGACY_KEY_ID)) ring.set(LEGACY_KEY_ID, keyBytes(legacyKey, 'FERRY_SECRET_KEY'));
  const current = ring.keys().next().value;
  if (current === undefined) throw new SecretError('FERRY_SECRET_KEYS or FERRY_SECRET_KEY is required');
  return { current, keys: ring };
}

function keyBytes(base64: string, what: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new SecretError(`${what} must be 32 bytes, base64`);
  return key;
}

function aad(keyId: string, b: SecretBinding): Buffer {
  return Buffer.from(`ferry-secret:v2:${keyId}:${b.table}.${b.field}:${b.id}`, 'utf8');
}

export function encryptSecret(ring: SecretKeyring, plaintext: string, binding: SecretBinding): string {
  const key = ring.keys.get(ring.current);
  if (!key) throw new SecretError(`key "${ring.current}" is not in the keyring`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(ring.current, binding));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${V2}${ring.current}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

function open(key: Buffer, raw: Buffer, additional: Buffer | undefined): string {
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretError('sealed secret is truncated');
  const decipher = createDecipheriv(ALGORITHM, key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  if (additional) decipher.setAAD(additional);
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
    'utf8',
  );
}

/** Opens a v2 secret sealed for `binding`, or a v1 one (any key of the ring). Throws SecretError otherwise. */
export function decryptSecret(ring: SecretKeyring, sealed: string, binding: SecretBinding): string {
  if (sealed.startsWith(V2)) {
    const rest = sealed.slice(V2.length);
    const colon = rest.indexOf(':');
    const keyId = rest.slice(0, colon);
    const key = ring.keys.get(keyId);
    if (colon < 0 || !key) throw new SecretError(`sealed with key "${keyId}", which is not in the keyring`);
    try {
      return open(key, Buffer.from(rest.slice(colon + 1), 'base64'), aad(keyId, binding));
    } catch (err) {
      throw new SecretError(
        `cannot open the secret in ${binding.table}.${binding.field}: ${(err as Error).message}`,
      );
    }
  }
  if (sealed.startsWith(V1)) {
    const raw = Buffer.from(sealed.slice(V1.length), 'base64');
    for (const key of ring.keys.values()) {
      try {
        return open(key, raw, undefined);
      } catch {
        // Not this key: the tag check says so. The next one may be it.
      }
    }
    throw new SecretError(`no key of the ring opens the secret in ${binding.table}.${binding.field}`);
  }
  throw new SecretError('unknown secret format');
}

/** True when the secret is not sealed (v2, bound) with the ring's current key. */
export function needsResealing(ring: SecretKeyring, sealed: string): boolean {
  return !sealed.startsWith(`${V2}${ring.current}:`);
}
