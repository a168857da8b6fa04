import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { servicesEnv } from '../helpers/env';
import {
  createRoute,
  deleteRoutes,
  settledEvent,
  type EventAnswer,
  type RouteAnswer,
} from '../helpers/events';
import { exportDir, readArchive, remoteListing, removeExportDirs, unzipTestOk } from '../helpers/exports';
import { startPrivateMinio } from '../helpers/private-minio';
import { freePort } from '../helpers/processes';
import { cleanupServer, registerServer, terminateOpenWorkflows } from '../helpers/servers';
import { startValidator, type TestValidator } from '../helpers/validator';
import { startWebhookReceiver } from '../helpers/webhook-receiver';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

const TOKEN = 'minio-notify-token';

/**
 * Issue 13 with the real event source: a MinIO of the test's own whose
 * webhook target (with a queue directory) notifies this test's API, on a port
 * chosen before MinIO starts. Objects are written by a plain S3 client; the
 * only Ferry API calls are the routes (and the SFTP server an export targets).
 */
describe('MinIO bucket notifications start Ferry work', () => {
  const taskQueue = taskQueueFor('events minio');
  const bucket = `evm-${randomUUID().slice(0, 8)}`;
  const queueDir = mkdtempSync(path.join(tmpdir(), 'ferry-minio-queue-'));
  let minio: Awaited<ReturnType<typeof startPrivateMinio>>;
  let port: number;
  let deps: TestDeps;
  let api: TestApi | undefined;
  let client: S3Client;
  const routes: RouteAnswer[] = [];
  const servers: string[] = [];

  before(async () => {
    port = await freePort();
    minio = await startPrivateMinio({
      MINIO_NOTIFY_WEBHOOK_ENABLE_FERRY: 'on',
      MINIO_NOTIFY_WEBHOOK_ENDPOINT_FERRY: `http://127.0.0.1:${port}/v1/events`,
      MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_FERRY: TOKEN,
      MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_FERRY: queueDir,
    });
    deps = await createTestDeps({
      TEMPORAL_TASK_QUEUE: taskQueue,
      S3_ENDPOINT: minio.endpoint,
      FERRY_BUCKET: bucket,
      FERRY_EVENT_TOKENS: `minio:${TOKEN}`,
      FERRY_EVENTS_NOTIFY_ARN: 'arn:minio:sqs::FERRY:webhook',
    });
    api = await startTestApi(deps, port);
    client = new S3Client({
      endpoint: minio.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: servicesEnv.S3_ACCESS_KEY_ID ?? 'ferryadmin',
        secretAccessKey: servicesEnv.S3_SECRET_ACCESS_KEY ?? 'ferryadmin-secret',
      },
    });
  });
  after(async () => {
    try {
      if (api) {
        await deleteRoutes(api, routes);
        for (const id of servers) await cleanupServer(api, deps, id, taskQueue);
        await api.close();
      }
      await terminateOpenWorkflows(deps.temporal, taskQueue);
    } finally {
      client.destroy();
      await deps.close();
      await minio.destroy();
      rmSync(queueDir, { recursive: true, force: true });
      removeExportDirs();
    }
  });

  const put = (key: string, body = 'payload') =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  async function eventFor(key: string): Promise<EventAnswer> {
    const row = await waitFor(`an event for ${key}`, () =>
      deps.db.event.findFirst({ where: { bucket, objectKey: key } }),
    );
    return await settledEvent(api as TestApi, row.id);
  }

  it('exports an object a plain S3 client wrote as a validated zip on the SFTP server', async () => {
    const validator: TestValidator = await startValidator();
    try {
      const server = await registerServer(api as TestApi);
      servers.push(server.id);
      const target = exportDir();
      const r = await createRoute(api as TestApi, {
        name: `export-${bucket}`,
        match: { eventTypes: ['s3:ObjectCreated:*'], bucket, keyPrefix: 'outbox/' },
        action: {
          type: 'export',
          serverId: server.id,
          directory: target.relative,
          validator: { url: validator.url },
        },
      });
      routes.push(r);
      const event = await withWorker(deps, taskQueue, async () => {
        await put('outbox/report 1.csv', 'a,b\n1,2\n');
        return await eventFor('outbox/report 1.csv');
      });
      assert.equal(event.status, 'completed', JSON.stringify(event.routes));
      assert.equal(event.source, 'minio');
      assert.equal(event.routes[0]?.routeId, r.id);
      assert.match(event.routes[0]?.jobId ?? '', /^ferry-export-/);
      assert.deepEqual(remoteListing(target.local), ['report 1.csv.zip']);
      const file = path.join(target.local, 'report 1.csv.zip');
      assert.ok(await unzipTestOk(file));
      assert.deepEqual(Object.keys((await readArchive(file)).entries), ['report 1.csv']);
    } finally {
      await validator.close();
    }
  });

  it('delivers keys with spaces, "+", "%" and non-ASCII letters as the client wrote them, each handled once', async () => {
    const hooks = await startWebhookReceiver();
    try {
      routes.push(
        await createRoute(api as TestApi, {
          name: `keys-${bucket}`,
          match: { eventTypes: ['s3:ObjectCreated:*'], bucket, keyPrefix: 'odd/' },
          action: { type: 'webhook', url: hooks.url },
        }),
      );
      const keys = ['odd/a b.txt', 'odd/1+1=2.txt', 'odd/100% done.txt', 'odd/naïve café/日本語.txt'];
      await withWorker(deps, taskQueue, async () => {
        for (const key of keys) await put(key);
        for (const key of keys) assert.equal((await eventFor(key)).status, 'completed', key);
      });
      assert.deepEqual(hooks.received.map((h) => h.json.key).sort(), [...keys].sort());
    } finally {
      await hooks.close();
    }
  });

  it('gets the events MinIO queued while Ferry’s API was down once it is back, each handled once', async () => {
    const hooks = await startWebhookReceiver();
    try {
      routes.push(
        await createRoute(api as TestApi, {
          name: `queued-${bucket}`,
          match: { eventTypes: ['s3:ObjectCreated:*'], bucket, keyPrefix: 'queued/' },
          action: { type: 'webhook', url: hooks.url },
        }),
      );
      await (api as TestApi).close();
      api = undefined;
      const keys = ['queued/1.txt', 'queued/2.txt', 'queued/3.txt'];
      for (const key of keys) await put(key);
      await waitFor('MinIO to queue the undelivered events on disk', () => {
        const files = readdirSync(queueDir, { recursive: true }).filter((f) => String(f).endsWith('.event'));
        return files.length >= keys.length;
      });
      assert.equal(await deps.db.event.count({ where: { bucket, objectKey: { in: keys } } }), 0);
      api = await startTestApi(deps, port);
      await withWorker(deps, taskQueue, async () => {
        for (const key of keys) assert.equal((await eventFor(key)).status, 'completed', key);
      });
      assert.equal(await deps.db.event.count({ where: { bucket, objectKey: { in: keys } } }), keys.length);
      assert.deepEqual(hooks.received.map((h) => h.json.key).sort(), keys);
    } finally {
      await hooks.close();
    }
  });
});
