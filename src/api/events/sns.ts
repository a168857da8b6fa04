import { z } from 'zod';
import { ValidationError } from '../../lib/errors';
import { eventWorkflowId, identityHash, type EventIdentity } from '../../lib/event-identity';
import { printable } from '../fields';
import type { IncomingEvent } from './schema';

/**
 * Amazon SNS's envelope (docs/events.md, "AWS S3"): an S3 bucket notification
 * sent to an SNS topic reaches an HTTPS subscriber as `Type: Notification`
 * with the S3 event JSON as a string in `Message`. The subscription itself
 * starts with a `SubscriptionConfirmation` that Ferry records (and logs) for
 * the operator to confirm by opening its `SubscribeURL`: subscribing Ferry
 * to a topic is the operator's decision, not whoever can post events.
 */
const envelope = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: printable(200),
  TopicArn: printable(1024),
  Message: z.string().max(16 * 1024 * 1024),
  SubscribeURL: z.url().max(4096).optional(),
});

export type SnsDelivery =
  | { kind: 'notification'; message: unknown }
  | { kind: 'subscription'; event: IncomingEvent; topicArn: string; subscribeUrl: string | null };

/** SNS bodies say what they are in `Type` and name their topic; S3 and generic events do neither. */
export function isSnsEnvelope(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && 'Type' in body && 'TopicArn' in body;
}

export function parseSnsEnvelope(body: unknown, source: string | null): SnsDelivery {
  const parsed = envelope.safeParse(body);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError('invalid SNS message', details);
  }
  const sns = parsed.data;
  if (sns.Type === 'Notification') {
    try {
      return { kind: 'notification', message: JSON.parse(sns.Message) as unknown };
    } catch {
      throw new ValidationError(
        'the SNS notification’s Message is not JSON (expected an S3 event notification)',
      );
    }
  }
  const identity: EventIdentity = { kind: 'generic', source: source ?? 'sns', id: sns.MessageId };
  const confirm = sns.Type === 'SubscriptionConfirmation';
  const now = new Date();
  return {
    kind: 'subscription',
    topicArn: sns.TopicArn,
    subscribeUrl: sns.SubscribeURL ?? null,
    event: {
      identity: identityHash(identity),
      workflowId: eventWorkflowId(identity),
      kind: 'generic',
      type: `sns:${sns.Type}`,
      source: identity.source,
      subject: sns.TopicArn,
      payload: sns,
      // Nothing for a route to do: recorded closed, so no workflow starts.
      status: 'unmatched',
      error: confirm
        ? 'SNS subscription awaiting confirmation: open payload.SubscribeURL to confirm it'
        : 'SNS unsubscribe confirmation: nothing to do',
      finishedAt: now,
    },
  };
}
