import type { z } from 'zod';
import { ValidationError } from '../lib/errors';

/** Parses request input with a zod schema; failures become 400 with the issues listed. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(`invalid ${what}`, details);
  }
  return result.data;
}
