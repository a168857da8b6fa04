import type { SecretBinding } from './secrets';

/**
 * Every database column that holds a sealed secret (src/lib/secrets), by
 * table. The rotation command (`npm run secrets:rotate`) re-seals exactly
 * these: a table that stores a new secret lists its columns here.
 */
export const SEALED_FIELDS = {
  Server: ['passwordEnc', 'privateKeyEnc', 'webhookSecretEnc'],
  Route: ['webhookSecretEnc'],
  ExportSecret: ['validatorSecretEnc'],
} as const;

/** The column that identifies a row of each table (the binding's `id`): `id` unless named here. */
export const SEALED_ROW_KEY: Partial<Record<keyof typeof SEALED_FIELDS, string>> = {
  ExportSecret: 'exportId',
};

export type SealedTable = keyof typeof SEALED_FIELDS;
export type SealedField<T extends SealedTable> = (typeof SEALED_FIELDS)[T][number];

/** The binding of a sealed column of one row: the secret opens only there. */
export function sealedIn<T extends SealedTable>(table: T, id: string, field: SealedField<T>): SecretBinding {
  return { table, id, field };
}
