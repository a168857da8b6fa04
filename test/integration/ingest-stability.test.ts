import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Server } from '../../src/generated/prisma/client';
import { nextScheduledScan, quiesceScans, registerServer, serverBody } from '../helpers/servers';
import { writeRemoteFile } from '../helpers/sftp';
import { useIngestApi } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest } from '../helpers/storage';

const MIN_AGE_SECONDS = 10;

/**
 * Issue 3, test 3: the schedule scans every second while one file keeps
 * growing and another is younger than the server's minimum age. Neither is
 * recorded until it has stopped changing for minAgeSeconds; then exactly the
 * final version is transferred.
 */
describe('files still being written', () => {
  const taskQueue = taskQueueFor('ingest files still being written');
  const { deps, api, track } = useIngestApi(taskQueue);
  let server: Server | undefined;

  it('are left until stable for minAgeSeconds, then transferred once, as their final version', async () => {
    const body = serverBody({ recursive: false, minAgeSeconds: MIN_AGE_SECONDS, scanIntervalSeconds: 1 });
    const dir = body.remoteDir;
    const steady = writeRemoteFile(`${dir}/steady.txt`, 'written an hour ago');
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(steady, hourAgo, hourAgo);
    const chunks = [randomBytes(50_000)];
    const growing = writeRemoteFile(`${dir}/growing.log`, chunks[0] ?? '');
    writeRemoteFile(`${dir}/young.txt`, 'just written');

    await withWorker(deps, taskQueue, async () => {
      const registered = await registerServer(api, body);
      server = await deps.db.server.findUniqueOrThrow({ where: { id: registered.id } });
      track(server);

      // Each round appends, then waits for a scheduled scan that started after the append.
      for (let round = 0; round < 3; round++) {
        const chunk = randomBytes(50_000);
        const appendedAt = new Date();
        appendFileSync(growing, chunk);
        chunks.push(chunk);
        const scan = await nextScheduledScan(deps.temporal, registered.id, appendedAt);
        assert.ok(
          scan.young >= 1,
          `round ${round}: the scan saw the growing file as too young: ${JSON.stringify(scan)} ${Date.now() - appendedAt.getTime()} ms after the append`,
        );
      }

      await waitFor(
        'all three files to be transferred',
        async () => {
          const done = await deps.db.transfer.count({
            where: { serverId: registered.id, status: 'completed' },
          });
          return done === 3;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      await quiesceScans(deps.temporal, registered.id);
    });

    assert.ok(server);
    const rows = await deps.db.transfer.findMany({ where: { serverId: server.id } });
    assert.deepEqual(rows.map((r) => path.posix.basename(r.remotePath)).sort(), [
      'growing.log',
      'steady.txt',
      'young.txt',
    ]);
    const whole = Buffer.concat(chunks);
    const grown = rows.find((r) => r.remotePath.endsWith('growing.log'));
    assert.equal(Number(grown?.size), whole.length, 'only the final version was recorded');
    const sha = createHash('sha256').update(whole).digest('hex');
    assert.equal((await objectDigest(deps, grown?.objectKey ?? '', server.bucket)).sha256, sha);
    for (const row of rows) {
      const waited = row.createdAt.getTime() - Number(row.mtimeMs);
      assert.ok(
        waited >= MIN_AGE_SECONDS * 1000,
        `${row.remotePath} was recorded ${waited} ms after its mtime`,
      );
    }
  });
});
