import { createHash } from 'node:crypto';
import { workflowIds } from '../workflows/contract';

/**
 * An event's identity: what makes two deliveries the same event. S3 records
 * are (bucket, key, event name, sequencer — or the ETag when a sender leaves
 * the sequencer out); generic events are (source, id). The hash is unique in
 * the Event table and names the `handleEvent` workflow, so a redelivered
 * event is stored once and its work runs once.
 */
export type EventIdentity =
  | { kind: 's3'; bucket: string; key: string; eventName: string; sequencer?: string; eTag?: string }
  | { kind: 'generic'; source: string; id: string };

export function identityHash(identity: EventIdentity): string {
  const parts =
    identity.kind === 's3'
      ? [
          's3',
          identity.bucket,
          identity.key,
          identity.eventName,
          identity.sequencer ? `seq:${identity.sequencer}` : `etag:${identity.eTag ?? ''}`,
        ]
      : ['generic', identity.source, identity.id];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40);
}

export function eventWorkflowId(identity: EventIdentity): string {
  return workflowIds.event(identityHash(identity));
}

/** The export a route's export action starts for an event: one per (event, route), ever, shaped as a UUID. */
export function eventExportId(eventWorkflowId: string, routeId: string): string {
  const h = createHash('sha256').update(`ferry-event-export:${eventWorkflowId}:${routeId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
