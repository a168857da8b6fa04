import { randomBytes } from 'node:crypto';
import type { TestApi } from './api-client';
import { waitFor } from './wait';

/** An S3 event record as MinIO sends it: the key query-escaped (a space as "+"). */
export function s3Record(
  bucket: string,
  key: string,
  {
    eventName = 's3:ObjectCreated:Put',
    sequencer = randomBytes(8).toString('hex').toUpperCase(),
    encode = true,
  } = {},
) {
  return {
    eventVersion: '2.0',
    eventSource: 'minio:s3',
    eventName,
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key: encode ? encodeURIComponent(key).replace(/%20/g, '+') : key,
        size: 2,
        eTag: randomBytes(16).toString('hex'),
        sequencer,
      },
    },
  };
}

export interface EventAnswer {
  id: string;
  kind: 's3' | 'generic';
  type: string;
  source: string | null;
  bucket: string | null;
  key: string | null;
  serverId: string | null;
  status: 'received' | 'running' | 'completed' | 'failed' | 'unmatched';
  error: string | null;
  workflowId: string;
  routes: {
    routeId: string;
    routeName: string;
    action: string;
    jobId: string | null;
    status: string;
    result: Record<string, unknown> | null;
    error: string | null;
  }[];
}

export interface RouteAnswer {
  id: string;
  name: string;
  match: Record<string, unknown>;
  action: Record<string, unknown>;
}

export async function createRoute(api: TestApi, body: Record<string, unknown>): Promise<RouteAnswer> {
  const res = await api.call<RouteAnswer>('POST', '/v1/routes', { json: body });
  if (res.status !== 201) throw new Error(`POST /v1/routes answered ${res.status}: ${res.text}`);
  return res.body;
}

export async function postEvents(api: TestApi, body: unknown, token?: string): Promise<string[]> {
  const res = await api.call<{ eventIds: string[] }>('POST', '/v1/events', { json: body, token });
  if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${res.text}`);
  return res.body.eventIds;
}

const DONE = new Set(['completed', 'failed', 'unmatched']);

/** Waits until the event has been handled (completed, failed or unmatched) and answers it. */
export async function settledEvent(api: TestApi, id: string, timeoutMs = 60_000): Promise<EventAnswer> {
  return await waitFor(
    `event ${id} to be handled`,
    async () => {
      const res = await api.call<EventAnswer>('GET', `/v1/events/${id}`);
      return res.status === 200 && DONE.has(res.body.status) ? res.body : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Removes routes a test made (routes are global: a leftover one would match other tests' events). */
export async function deleteRoutes(api: TestApi, routes: { id: string }[]): Promise<void> {
  for (const r of routes) await api.call('DELETE', `/v1/routes/${r.id}`);
}
