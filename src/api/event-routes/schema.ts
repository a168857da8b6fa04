import { z } from 'zod';
import { compileGlob, MAX_GLOB_LENGTH } from '../../lib/route-match';
import { bucketNameProblem } from '../servers/schema';
import { CONTROL, printable, uuidField as uuid } from '../fields';

/**
 * Bodies of /v1/routes (docs/events.md): what a route matches and the one
 * action it runs. Unknown fields are refused, as everywhere in the API.
 */

const bucket = z.string().superRefine((name, ctx) => {
  const problem = bucketNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Bounded in length and wildcards (matching cost grows with both); compiled here once. */
const keyGlob = printable(MAX_GLOB_LENGTH).superRefine((pattern, ctx) => {
  if ((pattern.match(/\*/g) ?? []).length > 16) ctx.addIssue({ code: 'custom', message: 'at most 16 "*"' });
  else if (pattern.length <= MAX_GLOB_LENGTH) compileGlob(pattern);
});

const typePattern = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:/-]*\*?$/, 'may contain only letters, digits and . _ : / -, and end in "*"');

const match = z.strictObject({
  /** `s3:ObjectCreated:*`, `sftp.file.uploaded`; a trailing `*` matches any rest. */
  eventTypes: z.array(typePattern).min(1).max(20),
  bucket: bucket.nullish(),
  keyPrefix: printable(1024).nullish(),
  keySuffix: printable(1024).nullish(),
  keyGlob: keyGlob.nullish(),
  serverId: uuid.nullish(),
});

const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048)
  .refine((s) => !CONTROL.test(s), 'must not contain control characters');

const webhookAction = z.strictObject({
  type: z.literal('webhook'),
  url: webhookUrl,
  /** Signs the forwarded event (HMAC-SHA256); stored encrypted, never shown. */
  secret: z.string().min(1).max(1024).optional(),
});

const scanAction = z.strictObject({
  type: z.literal('scan'),
  /** The server to scan; without it, the server the event names. */
  serverId: uuid.optional(),
});

/**
 * An export (docs/exports.md) of the object the event names to a registered
 * server. `archiveName` may use `{name}` (the object's file name) and
 * `{base}` (without its extension).
 */
const exportAction = z.strictObject({
  type: z.literal('export'),
  serverId: uuid,
  directory: printable(1024),
  archiveName: printable(255)
    .refine((s) => !s.includes('/') && !s.includes('\\'), 'must be a file name (no slashes)')
    .default('{name}.zip'),
  compression: z.enum(['store', 'deflate']).default('deflate'),
  validator: z
    .strictObject({ url: webhookUrl, timeoutSeconds: z.number().int().min(1).max(3600).default(300) })
    .optional(),
  overwrite: z.boolean().default(false),
});

export const routeAction = z.discriminatedUnion('type', [webhookAction, scanAction, exportAction]);
export type RouteActionBody = z.infer<typeof routeAction>;
export type RouteMatchBody = z.infer<typeof match>;

export const createRouteBody = z.strictObject({
  name: printable(100),
  enabled: z.boolean().default(true),
  match,
  action: routeAction,
});
export type CreateRouteBody = z.infer<typeof createRouteBody>;

/** `match` and `action` are replaced whole when given. */
export const patchRouteBody = z.strictObject({
  name: printable(100).optional(),
  enabled: z.boolean().optional(),
  match: match.optional(),
  action: routeAction.optional(),
});
export type PatchRouteBody = z.infer<typeof patchRouteBody>;
