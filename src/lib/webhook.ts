import { createHmac } from 'node:crypto';
import { Failure, nonRetryable } from '../workflows/contract';

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
  ) {
    super(message);
  }
}

export async function sendWebhook(
  url: string,
  secret: string | undefined,
  payload: WebhookEvent,
  timeoutMs = 10_000,
): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'ferry-webhook/1',
    'x-ferry-timestamp': timestamp,
  };
  if (secret) headers['x-ferry-signature'] = signWebhook(secret, timestamp, body);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new WebhookError(`webhook ${url} unreachable: ${(err as Error).message}`, true);
  }
  await res.body?.cancel();
  if (!res.ok) {
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new WebhookError(`webhook ${url} answered ${res.status}`, retryable);
  }
}

/**
 * sendWebhook for activities: a receiver's refusal (a 4xx other than 408/429)
 * becomes a non-retryable WebhookRejected; anything else is retried.
 */
export async function callWebhook(
  url: string,
  secret: string | undefined,
  payload: WebhookEvent,
  timeoutMs?: number,
): Promise<void> {
  try {
    await sendWebhook(url, secret, payload, timeoutMs);
  } catch (err) {
    if (err instanceof WebhookError && !err.retryable)
      throw nonRetryable(Failure.WebhookRejected, err.message);
    throw err;
  }
}
