import { z } from 'zod';
import { CONTROL } from '../fields';

/** Keys an export may list (each is looked up when the request arrives). */
export const MAX_KEYS = 10_000;
/**
 * Bytes of key names an export may list: the list travels in the workflow's
 * input, and Temporal refuses a payload over 2 MB. A prefix has no such limit
 * (the resolved set is kept in the database, docs/exports.md).
 */
export const MAX_KEYS_BYTES = 1024 * 1024;

const bucket = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'must be a bucket name');
const noControl = (s: string) => !CONTROL.test(s);
const globs = z
  .array(z.string().min(1).max(512).refine(noControl, 'must not contain control characters'))
  .max(100);
const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine(noControl, 'must not contain control characters');

const sources = z.union([
  z.strictObject({
    bucket,
    keys: z
      .array(z.string().min(1).max(1024).refine(noControl, 'must not contain control characters'))
      .min(1)
      .max(MAX_KEYS)
      .refine((keys) => keys.reduce((n, k) => n + Buffer.byteLength(k), 0) <= MAX_KEYS_BYTES, {
        message: `the keys add up to more than ${MAX_KEYS_BYTES} bytes: list them by prefix instead`,
      }),
  }),
  z.strictObject({
    bucket,
    prefix: z.string().max(1024).refine(noControl, 'must not contain control characters'),
    include: globs.optional(),
    exclude: globs.optional(),
  }),
]);

const layout = z.union([
  z.enum(['keep', 'flatten']).transform((mode) => ({ mode })),
  z.discriminatedUnion('mode', [
    z.strictObject({ mode: z.literal('keep') }),
    z.strictObject({ mode: z.literal('flatten') }),
    z.strictObject({ mode: z.literal('strip'), prefix: z.string().min(1).max(1024).refine(noControl) }),
    z.strictObject({ mode: z.literal('template'), template: z.string().min(1).max(1024).refine(noControl) }),
  ]),
]);

export const createExportBody = z.strictObject({
  sources,
  /** How keys become archive paths; the key as is by default. */
  layout: layout.default({ mode: 'keep' }),
  archiveName: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => noControl(s) && !s.includes('/') && !s.includes('\\') && s !== '.' && s !== '..', {
      message: 'must be a plain file name (no slashes, control characters, "." or "..")',
    }),
  compression: z.enum(['store', 'deflate']).default('store'),
  validator: z
    .strictObject({
      url: httpUrl,
      /** Signs each validation request (X-Ferry-Signature); stored encrypted, never returned. */
      secret: z.string().min(1).max(512).optional(),
      timeoutSeconds: z.number().int().min(1).max(3600).default(300),
    })
    .optional(),
  target: z.strictObject({
    serverId: z.uuid(),
    directory: z.string().min(1).max(1024),
  }),
  /** Replace a file of the archive's name on the target; otherwise its presence fails the export. */
  overwrite: z.boolean().default(false),
  webhookUrl: httpUrl.optional(),
  /** Same as the Idempotency-Key header. */
  clientRequestId: z.string().min(1).max(255).refine(noControl).optional(),
});

export type CreateExportBody = z.infer<typeof createExportBody>;

export const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .refine(noControl, 'must not contain control characters');
