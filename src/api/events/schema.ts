import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import { ValidationError } from '../../lib/errors';
import { eventWorkflowId, identityHash, type EventIdentity } from '../../lib/event-identity';
import { normalizeObjectKey } from '../../lib/keys';
import { UUID } from '../params';
import { printable } from '../fields';

/**
 * Bodies of POST /v1/events (docs/events.md): S3 event notifications as
 * MinIO and AWS send them (`{"Records": [...]}`; MinIO adds `EventName` and
 * `Key`), and Ferry's generic event `{id?, type, source?, subject?, data}`.
 * Each record becomes one Event row; a record whose key Ferry will not act
 * on is still stored, as `unmatched` with the reason, so the sender does not
 * retry it forever.
 */
export const MAX_RECORDS = 100;

/** `s3:ObjectCreated:Put`, `sftp.file.uploaded`: what routes match on. */
export const eventType = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:/-]+$/, 'may contain only letters, digits and . _ : / -');

const s3Record = z.object({
  eventName: z.string().min(1).max(100),
  s3: z.object({
    bucket: z.object({ name: printable(255) }),
    object: z.object({
      key: z.string().min(1).max(4096),
      size: z.number().int().min(0).optional(),
      eTag: z.string().max(200).optional(),
      sequencer: z.string().max(200).optional(),
    }),
  }),
});

const s3Notification = z.object({
  Records: z.array(z.unknown()).min(1).max(MAX_RECORDS),
});

const genericEvent = z.strictObject({
  id: printable(200).optional(),
  type: eventType,
  source: printable(200).optional(),
  subject: printable(1024).optional(),
  data: z.record(z.string(), z.unknown()).default({}),
});

/** The two shapes parseEvents takes, as /openapi.json describes the body of POST /v1/events. */
export const eventBody = z.union([
  s3Notification.extend({ Records: z.array(s3Record).min(1).max(MAX_RECORDS) }),
  genericEvent,
]);

type S3Record = z.infer<typeof s3Record>;

/** One event to store: the row's fields, the body as received, and why Ferry refuses to act on it. */
export type IncomingEvent = Omit<Prisma.EventCreateManyInput, 'id'> & {
  identity: string;
  workflowId: string;
};

/** `+` means a space, then percent-decoding: S3 notifications carry the key query-escaped. */
export function decodeS3Key(raw: string): string {
  return decodeURIComponent(raw.replace(/\+/g, ' '));
}

/** The decoded key, or why it is refused: undecodable, or not already in the normal form routes act on. */
function checkedKey(raw: string): { key: string; problem?: string } {
  let key: string;
  try {
    key = decodeS3Key(raw);
  } catch {
    return { key: raw, problem: 'object key is not valid URL-encoding' };
  }
  try {
    if (normalizeObjectKey(key) !== key) return { key, problem: 'object key is not in normal form' };
  } catch (err) {
    return { key, problem: err instanceof Error ? err.message : String(err) };
  }
  return { key };
}

function fromS3Record(record: S3Record, source: string | null): IncomingEvent {
  const { bucket, object } = record.s3;
  // AWS writes "ObjectCreated:Put", MinIO "s3:ObjectCreated:Put": routes see the latter.
  const type = record.eventName.startsWith('s3:') ? record.eventName : `s3:${record.eventName}`;
  const { key, problem } = checkedKey(object.key);
  const identity: EventIdentity = {
    kind: 's3',
    bucket: bucket.name,
    key,
    eventName: type,
    sequencer: object.sequencer,
    eTag: object.eTag,
  };
  return {
    identity: identityHash(identity),
    workflowId: eventWorkflowId(identity),
    kind: 's3',
    type,
    source,
    bucket: bucket.name,
    objectKey: key,
    size: object.size === undefined ? null : BigInt(object.size),
    eTag: object.eTag ?? null,
    sequencer: object.sequencer ?? null,
    payload: record,
    ...(problem ? { status: 'unmatched' as const, error: problem, finishedAt: new Date() } : {}),
  };
}

function fromGeneric(body: z.infer<typeof genericEvent>, sender: string | null): IncomingEvent {
  const source = body.source ?? sender ?? 'api';
  // Without an id the sender gave Ferry nothing to recognise a redelivery by.
  const identity: EventIdentity = { kind: 'generic', source, id: body.id ?? randomUUID() };
  const serverId = typeof body.data.serverId === 'string' && UUID.test(body.data.serverId);
  return {
    identity: identityHash(identity),
    workflowId: eventWorkflowId(identity),
    kind: 'generic',
    type: body.type,
    source,
    subject: body.subject ?? null,
    serverId: serverId ? (body.data.serverId as string).toLowerCase() : null,
    payload: body as Prisma.InputJsonValue,
  };
}

function issues(error: z.ZodError, prefix: string) {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path].filter(Boolean).join('.'),
    message: i.message,
  }));
}

/** The events a body carries, in order; a body of neither shape, or a malformed record, is a 400. */
export function parseEvents(body: unknown, source: string | null): IncomingEvent[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('an event body is a JSON object: {"Records": [...]} or {"type": ...}');
  }
  if ('Records' in body) {
    const parsed = s3Notification.safeParse(body);
    if (!parsed.success) throw new ValidationError('invalid S3 event notification', issues(parsed.error, ''));
    return parsed.data.Records.map((raw, i) => {
      const record = s3Record.safeParse(raw);
      if (!record.success) {
        throw new ValidationError('invalid S3 event record', issues(record.error, `Records.${i}`));
      }
      return fromS3Record(record.data, source);
    });
  }
  if ('type' in body) {
    const parsed = genericEvent.safeParse(body);
    if (!parsed.success) throw new ValidationError('invalid event', issues(parsed.error, ''));
    return [fromGeneric(parsed.data, source)];
  }
  throw new ValidationError(
    'unknown event shape: expected {"Records": [...]} (S3) or {"type": ...} (generic)',
  );
}

export const EVENT_STATUSES = ['received', 'running', 'completed', 'failed', 'unmatched'] as const;

export const listEventsQuery = z.object({
  status: z.enum(EVENT_STATUSES).optional(),
  type: eventType.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

/** AWS sends this once when a bucket's notifications are set up; nothing to store. */
export function isS3TestEvent(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { Event?: unknown }).Event === 's3:TestEvent';
}
