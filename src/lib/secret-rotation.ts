import type { Db } from './db';
import { SEALED_FIELDS, SEALED_ROW_KEY, sealedIn, type SealedField, type SealedTable } from './sealed-fields';
import { decryptSecret, encryptSecret, needsResealing, type SecretKeyring } from './secrets';

export interface RotationReport {
  /** Secrets re-sealed with the ring's current key. */
  resealed: number;
  /** Secrets already sealed with it. */
  current: number;
  /** Secrets no key of the ring opens: left as they are, named here. */
  failed: { table: string; id: string; field: string; reason: string }[];
}

const PAGE = 500;

/**
 * Re-seals every secret of SEALED_FIELDS that is not sealed (v2, bound to its
 * row and field) with the ring's current key: after a new key is put first in
 * FERRY_SECRET_KEYS, and to move rows of the old format (v1) to the new one.
 * Safe beside a running Ferry: each update applies only if the column still
 * holds what was read, and what the API writes meanwhile is sealed with the
 * current key already. Once it reports no failures, older keys may be removed.
 */
export async function resealSecrets(db: Db, ring: SecretKeyring): Promise<RotationReport> {
  const report: RotationReport = { resealed: 0, current: 0, failed: [] };
  for (const table of Object.keys(SEALED_FIELDS) as SealedTable[]) {
    for (const field of SEALED_FIELDS[table]) await resealColumn(db, ring, table, field, report);
  }
  return report;
}

async function resealColumn<T extends SealedTable>(
  db: Db,
  ring: SecretKeyring,
  table: T,
  field: SealedField<T>,
  report: RotationReport,
): Promise<void> {
  // Identifiers come from SEALED_FIELDS, never from input.
  const key = `"${SEALED_ROW_KEY[table] ?? 'id'}"`;
  const select = `SELECT ${key}::text AS id, "${field}" AS sealed FROM "${table}"
    WHERE "${field}" IS NOT NULL AND ${key}::text > $1 ORDER BY ${key}::text LIMIT ${PAGE}`;
  const update = `UPDATE "${table}" SET "${field}" = $1 WHERE ${key}::text = $2 AND "${field}" = $3`;
  for (let after = ''; ;) {
    const rows = await db.$queryRawUnsafe<{ id: string; sealed: string }[]>(select, after);
    for (const { id, sealed } of rows) {
      if (!needsResealing(ring, sealed)) {
        report.current++;
        continue;
      }
      const binding = sealedIn(table, id, field);
      let plaintext: string;
      try {
        plaintext = decryptSecret(ring, sealed, binding);
      } catch (err) {
        report.failed.push({ table, id, field, reason: (err as Error).message });
        continue;
      }
      const changed = await db.$executeRawUnsafe(update, encryptSecret(ring, plaintext, binding), id, sealed);
      // Not changed: the API replaced the secret meanwhile, sealed with the current key.
      if (changed === 1) report.resealed++;
      else report.current++;
    }
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return;
    after = last.id;
  }
}
