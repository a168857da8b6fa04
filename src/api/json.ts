/**
 * The API's one JSON rule for BigInt (sizes, byte counts, mtimes from the
 * database): numbers, which are exact below 2^53 (8 PiB, far above any file
 * Ferry moves). A larger value is a bug, and it fails loudly rather than
 * being rounded.
 */
export function bigintReplacer(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${value} is too large to serialize as a JSON number`);
  }
  return Number(value);
}
