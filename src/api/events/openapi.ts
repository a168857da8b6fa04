import type { Operation } from '../openapi/operation';
import { ids, idParam, timestamp } from '../openapi/examples';
import { eventBody, listEventsQuery } from './schema';

const event = {
  id: ids.event,
  kind: 's3',
  type: 's3:ObjectCreated:Put',
  source: 'minio',
  subject: null,
  bucket: 'ferry',
  key: 'partner-a/2026-11-30.csv',
  size: 1024,
  eTag: 'd41d8cd98f00b204e9800998ecf8427e',
  sequencer: '187C2A9F1E2B3C4D',
  serverId: null,
  status: 'completed',
  error: null,
  workflowId: 'ferry-event-3f2a1b',
  routes: [
    {
      routeId: ids.route,
      routeName: 'zip partner-a',
      action: 'export',
      jobId: `ferry-event-3f2a1b-route-${ids.route}`,
      status: 'completed',
      result: null,
      error: null,
      startedAt: timestamp,
      finishedAt: timestamp,
    },
  ],
  payload: {},
  receivedAt: timestamp,
  startedAt: timestamp,
  finishedAt: timestamp,
};
const tag = 'events';

/** /v1/events in /openapi.json (docs/events.md). */
export const eventOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/events',
    tag,
    summary: 'Receive S3 notifications or generic events',
    description:
      'MinIO and AWS S3 notifications (`{"Records": [...]}`), or Ferry\'s generic event. Takes an API token or ' +
      'a per-source event token (`FERRY_EVENT_TOKENS`); any content type is read as JSON.',
    auth: 'bearerOrEventToken',
    body: {
      schema: eventBody,
      examples: {
        s3: {
          Records: [
            {
              eventName: 's3:ObjectCreated:Put',
              s3: { bucket: { name: 'ferry' }, object: { key: 'partner-a/2026-11-30.csv', size: 1024 } },
            },
          ],
        },
        generic: {
          id: 'order-42',
          type: 'sftp.file.uploaded',
          source: 'partner-a',
          data: { serverId: ids.server },
        },
      },
    },
    responses: { 202: { description: 'Stored; routes run as jobs.', example: { eventIds: [ids.event] } } },
  },
  {
    method: 'get',
    path: '/v1/events',
    tag,
    summary: 'Events, newest first',
    query: { schema: listEventsQuery, example: { status: 'failed', limit: '20' } },
    responses: {
      200: {
        description: 'A page; `nextCursor` fetches the next.',
        example: { events: [event], nextCursor: null },
      },
    },
  },
  {
    method: 'get',
    path: '/v1/events/:id',
    tag,
    summary: 'One event, the routes it matched, their jobs and results',
    params: idParam('event'),
    responses: { 200: { description: 'The event.', example: event } },
  },
];
