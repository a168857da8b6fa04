import type { SecretBinding } from './secrets';

/**
 * Every database column that holds a sealed secret (src/lib/secrets), by
 * table. The rotation command (`npm run secrets:rotate`) re-seals exactly
 * these: a table that stores a new secret lists its columns here.
 */
export const SEALED_FIELDS = {
  Server: ['passwordEnc', 'privateKeyEnc', 'webhookSecretEnc'],
} as const;

export type SealedTable = keyof typeof SEALED_FIELDS;
export type SealedField<T extends SealedTable> = (typeof SEALED_FIELDS)[T][number];

/** The binding of a sealed column of one row: the secret opens only there. */
export function sealedIn<T extends SealedTable>(table: T, id: string, field: SealedField<T>): SecretBinding {
  return { table, id, field };
}
