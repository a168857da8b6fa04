import { ValidationError } from './errors';

/**
 * Object keys and remote paths are normalised and checked in one place:
 * `..`, absolute escapes and control characters are refused.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_KEY_BYTES = 1024; // S3's limit on key length

function segmentsOf(value: string, what: string): string[] {
  if (CONTROL.test(value)) throw new ValidationError(`${what} contains control characters`);
  if (value.includes('\\')) throw new ValidationError(`${what} contains a backslash`);
  const segments = value.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new ValidationError(`${what} must not contain ".."`);
  return segments;
}

/** "a//b/./c" → "a/b/c"; rejects absolute keys, "..", control characters and empty keys. */
export function normalizeObjectKey(key: string, what = 'object key'): string {
  if (key.startsWith('/')) throw new ValidationError(`${what} must be relative, not start with "/"`);
  const normalized = segmentsOf(key, what).join('/');
  if (!normalized) throw new ValidationError(`${what} is empty`);
  if (Buffer.byteLength(normalized) > MAX_KEY_BYTES) {
    throw new ValidationError(`${what} is longer than ${MAX_KEY_BYTES} bytes`);
  }
  return normalized;
}

/** A key prefix: normalised like a key, "" allowed, always ending in "/" when not empty. */
export function normalizeKeyPrefix(prefix: string): string {
  if (prefix.startsWith('/')) throw new ValidationError('key prefix must be relative, not start with "/"');
  const segments = segmentsOf(prefix, 'key prefix');
  return segments.length ? segments.join('/') + '/' : '';
}

/** A remote SFTP path; absolute paths are allowed (servers root them anywhere), ".." is not. */
export function normalizeRemotePath(value: string, what = 'remote path'): string {
  const absolute = value.startsWith('/');
  const joined = segmentsOf(value, what).join('/');
  if (absolute) return '/' + joined;
  return joined || '.';
}

/** Joins a normalised prefix and a relative path into a checked key. */
export function joinKey(prefix: string, relative: string): string {
  return normalizeObjectKey(normalizeKeyPrefix(prefix) + relative);
}
