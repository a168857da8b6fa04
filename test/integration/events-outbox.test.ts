import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { workflowIds } from '../../src/workflows/contract';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { startApiProcess } from '../helpers/api-process';
import { TEST_TOKEN } from '../helpers/env';
import {
  createRoute,
  deleteRoutes,
  postEvents,
  s3Record,
  settledEvent,
  type EventAnswer,
  type RouteAnswer,
} from '../helpers/events';
import { freePort } from '../helpers/processes';
import { terminateOpenWorkflows } from '../helpers/servers';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

/** A webhook receiver that holds every request until `release()`, so a test sees the event `running`. */
async function startHeldReceiver() {
  const keys: unknown[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      keys.push((JSON.parse(body) as { key?: unknown }).key);
      void released.then(() => res.writeHead(204).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    keys,
    release,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Issue 13, the outbox (docs/events.md, "Outbox"): POST /v1/events answers
 * once the rows are stored; the API starts their workflows afterwards, and
 * the event sweep (a Temporal Schedule) starts those of an API that died
 * first. The API here is a separate process started with
 * EVENTS_DISPATCH_CONCURRENCY=0 — the test's stand-in for "SIGKILLed between
 * storing and starting": it never starts a workflow itself.
 */
describe('the events outbox', () => {
  const taskQueue = taskQueueFor('events outbox');
  const tag = randomUUID().slice(0, 8);
  const bucket = `ev-outbox-${tag}`;
  const routes: RouteAnswer[] = [];
  let deps: TestDeps;
  let api: TestApi;

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue, EVENTS_SWEEP_SECONDS: '1' });
    api = await startTestApi(deps);
  });
  after(async () => {
    try {
      await deleteRoutes(api, routes);
      try {
        await deps.temporal.schedule.getHandle(workflowIds.eventSweep(taskQueue)).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
      await terminateOpenWorkflows(deps.temporal, taskQueue);
    } finally {
      await api.close();
      await deps.close();
    }
  });

  /** The real API (src/api/main.ts) in a process of its own, which never starts event workflows. */
  async function startStoringApi() {
    return await startApiProcess(
      {
        TEMPORAL_TASK_QUEUE: taskQueue,
        EVENTS_DISPATCH_CONCURRENCY: '0',
        EVENTS_SWEEP_SECONDS: '1',
        LOG_LEVEL: 'warn',
      },
      await freePort(),
    );
  }

  it('handles an event stored by an API killed before starting its workflow once, received → running → completed', async () => {
    const hooks = await startHeldReceiver();
    try {
      routes.push(
        await createRoute(api, {
          name: `outbox-${tag}`,
          match: { eventTypes: ['s3:ObjectCreated:*'], bucket, keyPrefix: 'killed/' },
          action: { type: 'webhook', url: hooks.url },
        }),
      );
      const notification = { Records: [s3Record(bucket, 'killed/after store.csv')] };
      const { proc, url } = await startStoringApi();
      let eventId: string;
      try {
        await waitFor(
          'the API to set the event sweep schedule',
          async () => await deps.temporal.schedule.getHandle(workflowIds.eventSweep(taskQueue)).describe(),
          { timeoutMs: 60_000 },
        );
        const res = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(notification),
        });
        assert.equal(res.status, 202);
        [eventId] = ((await res.json()) as { eventIds: [string] }).eventIds;
      } finally {
        await proc.stop('SIGKILL');
      }

      const stored = await deps.db.event.findUniqueOrThrow({ where: { id: eventId } });
      assert.equal(stored.status, 'received');
      assert.equal(stored.dispatchedAt, null, 'the killed API started nothing');
      assert.equal((await api.call<EventAnswer>('GET', `/v1/events/${eventId}`)).body.status, 'received');

      await withWorker(deps, taskQueue, async () => {
        await waitFor(
          'the sweep to start the event and its webhook to be called',
          async () =>
            hooks.keys.length === 1 &&
            (await api.call<EventAnswer>('GET', `/v1/events/${eventId}`)).body.status === 'running',
          { timeoutMs: 120_000 },
        );
        hooks.release();
        const event = await settledEvent(api, eventId, 120_000);
        assert.equal(event.status, 'completed');
        assert.deepEqual(
          event.routes.map((r) => r.status),
          ['completed'],
        );
        // Redelivered to a live API: the same event, no second run.
        assert.deepEqual(await postEvents(api, notification), [eventId]);
      });

      assert.deepEqual(hooks.keys, ['killed/after store.csv']);
      const row = await deps.db.event.findUniqueOrThrow({ where: { id: eventId } });
      assert.notEqual(row.dispatchedAt, null);
      const runs = [];
      for await (const run of deps.temporal.workflow.list({ query: `WorkflowId = '${row.workflowId}'` })) {
        runs.push(run.runId);
      }
      assert.equal(runs.length, 1, 'one handleEvent execution');
    } finally {
      await hooks.close();
    }
  });

  it('starts the workflows of events it stores from the API itself, marking them dispatched', async () => {
    const ids = await postEvents(api, {
      Records: [s3Record(bucket, 'other/a.csv'), s3Record(bucket, 'other/b.csv')],
    });
    // No worker runs yet, so no sweep either: only the API can have started them.
    await waitFor('the API to start both workflows', async () => {
      const rows = await deps.db.event.findMany({ where: { id: { in: ids }, dispatchedAt: { not: null } } });
      return rows.length === 2;
    });
    await withWorker(deps, taskQueue, async () => {
      for (const id of ids) assert.equal((await settledEvent(api, id, 120_000)).status, 'unmatched');
    });
  });
});
