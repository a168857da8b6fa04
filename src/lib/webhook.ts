import { createHmac } from 'node:crypto';
import { Failure, nonRetryable } from '../workflows/contract';
import { OutboundError, outboundFetch, redactUrl, type OutboundPolicy } from './outbound';

/**
 * Webhooks are POSTed as JSON. When a secret is set, the receiver verifies
 * `X-Ferry-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the
 * `X-Ferry-Timestamp` header, which also lets it reject replays.
 */
export interface WebhookEvent {
  /** e.g. "transfer.completed", "transfer.failed", "upload.completed", "upload.failed". */
  event: string;
  [field: string]: unknown;
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export class WebhookError extends Error {
  override readonly name = 'WebhookError';
  constructor(
    message: string,
    /** 4xx answers other than 408/429 will not get better by retrying. */
    readonly retryable: boolean,
    /** Never sent: the outbound policy refuses the address. */
    readonly refused = false,
  ) {
    super(message);
  }
}

export interface WebhookOptions {
  /** Where outbound calls may go (config.outbound). */
  policy: OutboundPolicy;
  /** @default 10000 */
  timeoutMs?: number;
}

/** Largest answer read from a receiver: it is discarded, only its status counts. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs the event through the outbound policy (src/lib/outbound): refused
 * addresses are never contacted and redirects are not followed. Errors name
 * the URL redacted, since webhook URLs often carry tokens.
 */
export async function sendWebhook(
  url: string,
  secret: string | undefined,
  payload: WebhookEvent,
  { policy, timeoutMs = 10_000 }: WebhookOptions,
): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'ferry-webhook/1',
    'x-ferry-timestamp': timestamp,
  };
  if (secret) headers['x-ferry-signature'] = signWebhook(secret, timestamp, body);
  const where = redactUrl(url);
  let status: number;
  try {
    const res = await outboundFetch(
      url,
      { method: 'POST', headers, body, timeoutMs, maxResponseBytes: MAX_ANSWER_BYTES },
      policy,
    );
    status = res.status;
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    if (err.kind === 'refused' || err.kind === 'invalid_url') {
      throw new WebhookError(`webhook ${where} refused: ${err.message}`, false, true);
    }
    if (err.kind === 'too_large') throw new WebhookError(`webhook ${where}: ${err.message}`, false);
    throw new WebhookError(`webhook ${where} unreachable: ${err.message}`, true);
  }
  if (status >= 300 && status < 400) {
    throw new WebhookError(`webhook ${where} answered ${status}; redirects are not followed`, false);
  }
  if (status < 200 || status >= 300) {
    const retryable = status >= 500 || status === 408 || status === 429;
    throw new WebhookError(`webhook ${where} answered ${status}`, retryable);
  }
}

/**
 * sendWebhook for activities: an address the policy refuses becomes a
 * non-retryable OutboundRefused, a receiver's refusal (a 4xx other than
 * 408/429, a redirect) a non-retryable WebhookRejected; anything else is retried.
 */
export async function callWebhook(
  url: string,
  secret: string | undefined,
  payload: WebhookEvent,
  options: WebhookOptions,
): Promise<void> {
  try {
    await sendWebhook(url, secret, payload, options);
  } catch (err) {
    if (!(err instanceof WebhookError) || err.retryable) throw err;
    throw nonRetryable(err.refused ? Failure.OutboundRefused : Failure.WebhookRejected, err.message);
  }
}
