import { z } from 'zod';
import { FerryError, PayloadTooLargeError } from '../../lib/errors';
import { parse } from '../validate';
import { CONTROL } from '../fields';

/** S3 allows 10,000 parts; with at most one part per chunk, that bounds the chunks of an upload. */
export const MAX_CHUNKS = 10_000;
/** Longest TTL a request may ask for: 30 days. */
const MAX_TTL_SECONDS = 30 * 86_400;

const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 in hex (64 characters)')
  .transform((s) => s.toLowerCase());

export const createUploadBody = z.strictObject({
  filename: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => !CONTROL.test(s) && !s.includes('/') && !s.includes('\\') && s !== '.' && s !== '..', {
      message: 'must be a plain file name (no slashes, control characters, "." or "..")',
    }),
  /** Target object key; `uploads/<uploadId>/<filename>` when omitted. */
  key: z.string().min(1).max(1024).optional(),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  contentType: z
    .string()
    .max(255)
    // Parameters in visible ASCII only: the value becomes an HTTP header of the object.
    .regex(/^[\w.+-]+\/[\w.+-]+([ \t]*;[\t\x20-\x7e]*)?$/, 'must be a MIME type such as text/csv')
    .optional(),
  sha256: sha256Hex.optional(),
  webhookUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
    .optional(),
  /** Replace an object already at `key`; without it, assembly refuses to (docs/security.md). */
  overwrite: z.boolean().default(false),
  /** Seconds until the upload expires unless completed; defaults to UPLOAD_TTL_SECONDS. */
  ttlSeconds: z.number().int().min(1).max(MAX_TTL_SECONDS).optional(),
});

export type CreateUploadBody = z.infer<typeof createUploadBody>;

export const completeUploadBody = z.strictObject({
  /** Number of chunks the client sent; lets missing trailing chunks be named. */
  chunkCount: z.number().int().min(0).max(MAX_CHUNKS).optional(),
});

/** The `:index` of a chunk PUT, as the path gives it. */
export const chunkIndex = z
  .string()
  .regex(/^\d{1,5}$/, 'chunk index must be a non-negative integer')
  .transform(Number)
  .pipe(z.number().max(MAX_CHUNKS - 1, `chunk index must be below ${MAX_CHUNKS}`));

export const chunkSha256Header = sha256Hex;

/** What a chunk PUT declares, checked before its body is read. */
export interface ChunkRequest {
  index: number;
  size: number;
  /** SHA-256 (hex) of the body, from X-Chunk-SHA256. */
  sha256: string;
}

export function parseChunkRequest(
  input: { index: unknown; sha256Header: unknown; contentLength: string | undefined },
  maxBytes: number,
): ChunkRequest {
  const index = parse(chunkIndex, input.index, 'chunk index');
  const sha256 = parse(chunkSha256Header, input.sha256Header, 'X-Chunk-SHA256 header');
  if (input.contentLength === undefined)
    throw new FerryError('length_required', 411, 'chunks need a Content-Length');
  const size = Number(input.contentLength);
  if (size > maxBytes) {
    throw new PayloadTooLargeError(`chunk of ${size} bytes exceeds the limit of ${maxBytes}`);
  }
  return { index, size, sha256 };
}
