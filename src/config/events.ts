import { z } from 'zod';

/**
 * Settings of storage and SFTP events (docs/events.md). Part of the schema
 * in ./schema.ts.
 */

/** One per-source event token. */
export interface EventToken {
  source: string;
  token: string;
}

export const eventSettings = {
  /**
   * Per-source tokens accepted by `POST /v1/events` only, as `name:token,…`,
   * for senders that cannot be given an API token freely (MinIO's webhook
   * target sends `Authorization: Bearer <fixed token>`). The name is recorded
   * as the event's source. @default ""
   */
  FERRY_EVENT_TOKENS: z
    .string()
    .default('')
    .transform((s, ctx) => parseEventTokens(s, ctx)),
  /**
   * Queue ARN that Ferry names in the notification configuration of every
   * bucket a route watches (set on route create/update/delete, or by `npm run
   * events:notify`), e.g. `arn:minio:sqs::FERRY:webhook`. Empty: Ferry leaves
   * bucket notifications alone. @default ""
   */
  FERRY_EVENTS_NOTIFY_ARN: z
    .string()
    .regex(/^(arn:[a-z0-9-]+:sqs:\S*)?$/, 'must be an SQS-style queue ARN (arn:minio:sqs::ID:webhook)')
    .default(''),
  /** Largest body `POST /v1/events` accepts, in KiB. @default 1024 */
  EVENTS_MAX_BODY_KIB: z.coerce.number().int().min(1).max(65536).default(1024),
  /**
   * Workflow starts the API runs at once for the events it has just stored
   * (after answering). 0: the API only stores events and the sweep starts
   * them (tests use it to stand for an API that died before starting them). @default 16
   */
  EVENTS_DISPATCH_CONCURRENCY: z.coerce.number().int().min(0).max(256).default(16),
  /**
   * Interval of the event sweep (a Temporal Schedule), which starts the
   * workflows of events stored this many seconds ago or more that no API
   * started (the API died or Temporal was away). @default 10
   */
  EVENTS_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
};

function parseEventTokens(value: string, ctx: z.RefinementCtx): EventToken[] {
  const tokens: EventToken[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const match = /^([A-Za-z0-9._-]{1,64}):(\S{8,})$/.exec(entry);
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: 'each entry must be name:token (token of 8 or more characters)',
      });
      continue;
    }
    tokens.push({ source: match[1] as string, token: match[2] as string });
  }
  return tokens;
}
