import type { EventAction } from '../../generated/prisma/client';
import type { EventWithActions } from './service';

/** One matched route's action on an event: the job it started and how it ended. */
function presentAction(a: EventAction) {
  return {
    routeId: a.routeId,
    routeName: a.routeName,
    action: a.action,
    jobId: a.workflowId,
    status: a.status,
    result: a.result,
    error: a.error,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
  };
}

export function presentEvent(e: EventWithActions) {
  return {
    id: e.id,
    kind: e.kind,
    type: e.type,
    source: e.source,
    subject: e.subject,
    bucket: e.bucket,
    key: e.objectKey,
    size: e.size,
    eTag: e.eTag,
    sequencer: e.sequencer,
    serverId: e.serverId,
    status: e.status,
    error: e.error,
    workflowId: e.workflowId,
    routes: e.actions.map(presentAction),
    payload: e.payload,
    receivedAt: e.receivedAt,
    startedAt: e.startedAt,
    finishedAt: e.finishedAt,
  };
}
