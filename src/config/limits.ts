import { z } from 'zod';

/**
 * Settings that bound what one API caller can make Ferry do or keep
 * (docs/security.md, "Limits"). Part of the schema in ./schema.ts.
 */

export const limits = {
  /** Shortest scan interval a server may ask for, in seconds. @default 30 */
  SCAN_INTERVAL_MIN_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  /**
   * Largest part of an SFTP→S3 transfer, in MiB, whatever size the server
   * reports: a transfer holds two parts in memory. A file that would need
   * more than 10,000 parts of this size fails (`SourceTooLarge`). @default 128
   */
  TRANSFER_MAX_PART_MIB: z.coerce.number().int().min(5).max(5120).default(128),
  /** SFTP connections one worker process holds open at once, all servers together. @default 64 */
  SFTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(10_000).default(64),
  /** SFTP connections one worker process holds open to one server at once. @default 8 */
  SFTP_MAX_CONNECTIONS_PER_SERVER: z.coerce.number().int().min(1).max(1000).default(8),
  /**
   * Requests per minute one API token may make (`429` with `Retry-After`
   * beyond). High by default: a guard against a runaway client. @default 6000
   */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(6000),
  /**
   * Buckets servers, uploads, exports and routes may name, comma-separated;
   * `name*` matches a prefix, `*` any bucket. Empty: FERRY_BUCKET only. @default ""
   */
  FERRY_ALLOWED_BUCKETS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    ),
};
