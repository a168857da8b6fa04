import express, { Router } from 'express';
import { createEventDispatcher } from '../../lib/event-dispatch';
import { requireEventSender } from '../auth';
import type { ApiDeps } from '../deps';
import { resourceId } from '../params';
import { parse } from '../validate';
import { presentEvent } from './present';
import { isS3TestEvent, listEventsQuery, parseEvents } from './schema';
import { findEvent, ingestEvents, listEvents } from './service';
import { isSnsEnvelope, parseSnsEnvelope } from './sns';

/**
 * POST /v1/events (docs/events.md), mounted ahead of the API's bearer check
 * because it has its own: per-source tokens let MinIO's webhook target in.
 * Any content type is read as JSON (SNS and some hooks send text/plain).
 * Answers once the events are stored; their workflows are started after
 * (the events table is the outbox: docs/events.md, "Outbox").
 */
export function eventIngestRoutes(deps: ApiDeps): Router {
  const router = Router();
  const auth = requireEventSender(deps.config.API_TOKENS, deps.config.FERRY_EVENT_TOKENS);
  const json = express.json({ limit: deps.config.EVENTS_MAX_BODY_KIB * 1024, type: () => true });

  const dispatcher = createEventDispatcher({
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    log: deps.log,
    concurrency: deps.config.EVENTS_DISPATCH_CONCURRENCY,
  });

  router.post('/events', auth, json, async (req, res) => {
    const source = (res.locals.eventSource as string | null | undefined) ?? null;
    let body: unknown = req.body;
    if (isSnsEnvelope(body)) {
      const sns = parseSnsEnvelope(body, source);
      if (sns.kind === 'subscription') {
        const eventIds = await ingestEvents(deps, dispatcher, [sns.event]);
        deps.log.warn(
          { topicArn: sns.topicArn, subscribeUrl: sns.subscribeUrl, eventId: eventIds[0] },
          `SNS ${sns.event.type}: to receive this topic's notifications, open the SubscribeURL`,
        );
        res.status(200).json({ eventIds });
        return;
      }
      body = sns.message;
    }
    if (isS3TestEvent(body)) {
      res.status(202).json({ eventIds: [] });
      return;
    }
    const eventIds = await ingestEvents(deps, dispatcher, parseEvents(body, source));
    deps.log.debug({ eventIds, source }, 'events accepted');
    res.status(202).json({ eventIds });
  });
  return router;
}

/** GET /v1/events and /v1/events/:id, behind the API token. */
export function eventRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/events', async (req, res) => {
    const q = parse(listEventsQuery, req.query, 'query');
    const { page, nextCursor } = await listEvents(deps, q);
    res.json({ events: page.map(presentEvent), nextCursor });
  });

  router.get('/events/:id', async (req, res) => {
    res.json(presentEvent(await findEvent(deps, resourceId(req.params.id, 'event'))));
  });
  return router;
}
