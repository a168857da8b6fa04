import { z } from 'zod';
import { UUID } from './params';

/** Request-body fields that several resources share (servers, routes, events, exports, uploads). */

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
export const CONTROL = /[\u0000-\u001f\u007f]/;

/** A non-empty string of at most `max` characters, none of them a control character. */
export const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');

/** A UUID in a body, in the lower case the database returns. */
export const uuidField = z
  .string()
  .regex(UUID, 'must be a UUID')
  .transform((s) => s.toLowerCase());
