import { z } from 'zod';

/** A boolean setting: `true`/`1` or `false`/`0`. */
export const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
