import { ValidationError } from './errors';

/**
 * Where in object storage an API caller may send Ferry (docs/security.md,
 * "Object storage"): only allowed buckets, and never under the staging prefix,
 * which holds upload chunks (`<prefix><uploadId>/`) and export archives
 * (`<prefix>exports/<exportId>/`) that Ferry overwrites and deletes itself.
 */
export interface StoragePolicy {
  FERRY_BUCKET: string;
  /** Entries: a name, `prefix*`, or `*`; empty means FERRY_BUCKET alone. */
  FERRY_ALLOWED_BUCKETS: readonly string[];
  FERRY_STAGING_PREFIX: string;
}

export function bucketAllowed(policy: StoragePolicy, bucket: string): boolean {
  if (bucket === policy.FERRY_BUCKET) return true;
  return policy.FERRY_ALLOWED_BUCKETS.some((entry) =>
    entry.endsWith('*') ? bucket.startsWith(entry.slice(0, -1)) : bucket === entry,
  );
}

export function assertBucketAllowed(policy: StoragePolicy, field: string, bucket: string): void {
  if (!bucketAllowed(policy, bucket)) {
    throw new ValidationError(`${field}: bucket ${bucket} is not allowed here (FERRY_ALLOWED_BUCKETS)`, [
      { path: field, message: `bucket ${bucket} is not in FERRY_ALLOWED_BUCKETS` },
    ]);
  }
}

/** The staging prefix as a directory: `.ferry-staging/` whether configured with the slash or not. */
function stagingRoot(policy: Pick<StoragePolicy, 'FERRY_STAGING_PREFIX'>): string {
  const prefix = policy.FERRY_STAGING_PREFIX;
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Refuses a key (or key prefix) that lies inside the reserved staging prefix. */
export function assertKeyNotReserved(
  policy: Pick<StoragePolicy, 'FERRY_STAGING_PREFIX'>,
  field: string,
  key: string,
): void {
  const root = stagingRoot(policy);
  if (key.startsWith(root) || `${key}/` === root) {
    throw new ValidationError(`${field} must not be under ${root}, which Ferry reserves for staging`, [
      { path: field, message: `is under the reserved prefix ${root}` },
    ]);
  }
}
