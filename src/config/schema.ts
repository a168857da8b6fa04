import { z } from 'zod';
import { parseAllowlist } from '../lib/outbound';
import { parseKeyring } from '../lib/secrets';
import { bool } from './bool';
import { eventSettings } from './events';
import { exportSettings } from './exports';
import { limits } from './limits';
import { retention } from './retention';

/**
 * Every setting of Ferry with its validation and its default (src/config/index.ts
 * loads them), gathered from one module per concern. docs/configuration.md is
 * checked against them (test/unit/readme.test.ts).
 */

export const schema = z.object({
  /** PostgreSQL connection string (libpq form; `?host=/path` for a socket). @default postgresql://postgres@127.0.0.1:5432/ferry */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'DATABASE_URL must be a postgresql:// connection string')
    .default('postgresql://postgres@127.0.0.1:5432/ferry'),
  /** Temporal frontend address. @default 127.0.0.1:7233 */
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  /** Temporal namespace. @default default */
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Base URL of the Temporal Web UI, which the status page (/ui) links each workflow to. @default http://127.0.0.1:8233 */
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  /** Task queue every Ferry worker polls. @default ferry */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('ferry'),
  /** S3 endpoint; empty means AWS. @default http://127.0.0.1:9000 */
  S3_ENDPOINT: z.string().default('http://127.0.0.1:9000'),
  /** S3 region. @default us-east-1 */
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** S3 access key. @default ferryadmin */
  S3_ACCESS_KEY_ID: z.string().min(1).default('ferryadmin'),
  /** S3 secret key. @default ferryadmin-secret */
  S3_SECRET_ACCESS_KEY: z.string().min(1).default('ferryadmin-secret'),
  /** Path-style addressing (MinIO needs it). @default true */
  S3_FORCE_PATH_STYLE: bool.default(true),
  /**
   * Seconds an S3 connection may sit idle mid-request (no byte either way)
   * before the request fails and is retried: a storage host that vanished
   * otherwise holds the call, and its activity, until its start-to-close
   * timeout. Generous, for server-side copies of large parts. @default 300
   */
  S3_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  /** Bucket for uploads and staging when a request names none. @default ferry */
  FERRY_BUCKET: z.string().min(3).default('ferry'),
  /** Key prefix under which upload chunks are staged. @default .ferry-staging/ */
  FERRY_STAGING_PREFIX: z.string().min(1).default('.ferry-staging/'),
  /** HTTP port of the API. @default 8080 */
  API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Comma-separated bearer tokens accepted by the API. Required. */
  API_TOKENS: z
    .string()
    .min(1, 'API_TOKENS must list at least one bearer token')
    .transform((s) =>
      s
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  /**
   * 32-byte key (base64) that encrypts SFTP secrets at rest, key ID `default`.
   * Required unless FERRY_SECRET_KEYS is set; beside it, it only decrypts.
   */
  FERRY_SECRET_KEY: z
    .string()
    .refine((s) => Buffer.from(s, 'base64').length === 32, 'FERRY_SECRET_KEY must be 32 bytes, base64')
    .optional(),
  /**
   * Keys that encrypt secrets at rest, `id:base64,…` (32 bytes each): the first
   * seals new secrets, every one decrypts. Rotate by putting a new key first and
   * running `npm run secrets:rotate`. @default "" (FERRY_SECRET_KEY alone)
   */
  FERRY_SECRET_KEYS: z
    .string()
    .default('')
    .superRefine((text, ctx) => {
      try {
        parseKeyring(text, undefined);
      } catch (err) {
        if (text.trim() !== '') ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  /** Port of the worker's /metrics (Ferry's and the Temporal SDK's); 0 disables it. @default 9464 */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Secret that signs upload webhooks (servers carry their own). Empty disables signing. @default "" */
  FERRY_WEBHOOK_SECRET: z.string().default(''),
  /**
   * Lets outbound calls (webhooks, validators) reach loopback, private
   * (RFC 1918, IPv6 unique-local) and CGNAT addresses. Link-local and cloud
   * metadata addresses stay refused unless FERRY_OUTBOUND_ALLOWLIST names them.
   * @default false
   */
  FERRY_ALLOW_PRIVATE_WEBHOOKS: bool.default(false),
  /**
   * Comma-separated hosts (`hooks.internal`, `*.corp.example`), addresses and
   * networks (`10.0.0.0/8`, `::1`) outbound calls may reach whatever their
   * address, link-local and metadata included. @default ""
   */
  FERRY_OUTBOUND_ALLOWLIST: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseAllowlist(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Log level (pino). @default info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Part size of SFTP→S3 multipart uploads, in MiB (grown for files over
   * 10,000 parts). A transfer holds two parts in memory and a crash re-reads
   * at most two. 32 rather than 16: half the part requests, checksums and
   * checkpoints, and a faster large file (see bench/README.md).
   * @default 32
   */
  TRANSFER_PART_MIB: z.coerce.number().int().min(5).max(512).default(32),
  /** Outstanding SFTP read requests per transfer. @default 16 */
  SFTP_READ_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /**
   * Bytes per SFTP read request. 255 KiB is OpenSSH's largest read; ssh2
   * splits requests for servers that announce (or are assumed to have) less.
   * Fewer, larger reads cost less CPU per byte (one request and one
   * callback per 255 KiB instead of per 64 KiB). @default 261120
   */
  SFTP_READ_CHUNK_BYTES: z.coerce.number().int().min(4096).max(261120).default(261120),
  /**
   * Most file versions one `transferBatch` workflow carries (servers with
   * `smallFiles: "batch"`; docs/ingest-batch-lane.md). Its input lists their
   * row IDs, so this bounds the workflow's history as well. @default 200
   */
  TRANSFER_BATCH_FILES: z.coerce.number().int().min(1).max(1000).default(200),
  /**
   * Files of one batch in flight at once over its single SFTP session (each
   * read whole with pipelined reads, then one PutObject): memory is this many
   * small files (at most 4 MiB each). @default 16
   */
  TRANSFER_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  /**
   * Watchdog on each call into the workflow sandbox, in ms (the SDK's 5 s by
   * default); 0 turns it off. With it, a workflow stuck in a loop fails its
   * task instead of stalling the worker; Node makes a thread per call for it
   * (src/lib/sandbox-watchdog.ts).
   * @default 5000
   */
  WORKFLOW_ACTIVATION_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /** Lifetime of an upload that has not been completed, in seconds (at most 30 days, as a request's `ttlSeconds`). @default 86400 */
  UPLOAD_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86400),
  /**
   * Keys that encrypt every payload Ferry writes to Temporal, as
   * `id:base64key[,id:base64key…]` (32-byte keys). The first encrypts, all
   * decrypt: rotate by putting a new key first. Empty: payloads in clear. @default ""
   */
  FERRY_PAYLOAD_KEYS: z.string().default(''),
  /** Browser origins allowed to call /codec (the Temporal Web UI's), comma-separated. @default "" */
  FERRY_CODEC_CORS_ORIGINS: z.string().default(''),
  /** Largest chunk the API accepts, in MiB. @default 256 */
  UPLOAD_MAX_CHUNK_MIB: z.coerce.number().int().min(1).max(5120).default(256),
  ...eventSettings,
  ...exportSettings,
  ...limits,
  ...retention,
});
