import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { UploadReport } from '../../src/cli/upload';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { TEST_TOKEN } from '../helpers/env';
import { killFerryRuns, runFerry, type CliRun } from '../helpers/cli';
import { sha256, startUploadsApi, type UploadsApi } from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

describe('uploads: the ferry CLI', () => {
  const taskQueue = taskQueueFor('uploads-cli');
  let deps: TestDeps;
  let api: UploadsApi;
  let dir: string;

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'error' });
    api = await startUploadsApi(deps);
    dir = await mkdtemp(path.join(tmpdir(), 'ferry-cli-'));
  });
  after(async () => {
    killFerryRuns();
    await api.close();
    await deps.close();
    await rm(dir, { recursive: true, force: true });
  });

  const ferry = (args: string[], whileRunning?: (pid: number) => Promise<void>): Promise<CliRun> =>
    runFerry(
      args,
      { FERRY_API_URL: api.url, FERRY_API_TOKEN: TEST_TOKEN, FERRY_STATE_DIR: dir },
      { whileRunning },
    );

  async function fixture(name: string, size: number): Promise<{ file: string; data: Buffer }> {
    const data = randomBytes(size);
    const file = path.join(dir, name);
    await writeFile(file, data);
    return { file, data };
  }

  it('uploads a file with a progress bar, prints the key and SHA-256, and `status` shows it', async () => {
    await withWorker(deps, taskQueue, async () => {
      const { file, data } = await fixture('report 2026.csv', 9 * MiB + 7);
      const run = await ferry(['upload', file, '--chunk-size', '4', '--parallel', '2']);
      assert.equal(run.code, 0, run.stderr);
      const key = /^uploaded .* to s3:\/\/ferry-test\/(.+)$/m.exec(run.stdout)?.[1];
      assert.ok(key, run.stdout);
      assert.match(run.stdout, new RegExp(`^sha256 ${sha256(data)}$`, 'm'));
      assert.match(run.stderr, /uploading \[#+\] 100% 9\.0\/9\.0 MiB [\d.]+ MB\/s ETA/);
      assert.deepEqual(await objectDigest(deps, key), { sha256: sha256(data), size: data.length });

      const uploadId = /^uploads\/([0-9a-f-]{36})\//.exec(key)?.[1] ?? '';
      const status = await ferry(['status', uploadId]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^status +completed$/m);
      assert.match(status.stdout, /^chunks +3 received$/m);
    });
  });

  it('resumes after being killed mid-upload, sending only the chunks the API lacks', async () => {
    await withWorker(deps, taskQueue, async () => {
      const { file, data } = await fixture('big.bin', 48 * MiB);
      const args = [
        'upload',
        file,
        '--chunk-size',
        '1',
        '--parallel',
        '2',
        '--key',
        `cli-test/${Date.now()}.bin`,
      ];
      const known = new Set(api.chunkPuts.keys());
      const putsOfNewUpload = () => [...api.chunkPuts].find(([id]) => !known.has(id));

      const killed = await ferry(args, async (pid) => {
        // With 2 lanes, a 12th request starts only once 10 were answered (recorded).
        await waitFor('the CLI to send 12 chunks', () => (putsOfNewUpload()?.[1].length ?? 0) >= 12, {
          intervalMs: 5,
        });
        process.kill(pid, 'SIGKILL');
      });
      assert.equal(killed.signal, 'SIGKILL');
      const [uploadId, firstRunPuts] = putsOfNewUpload() ?? ['', []];
      const before = await api.call('GET', `/v1/uploads/${uploadId}`);
      assert.equal(before.body.status, 'receiving');
      const had = new Set(before.body.receivedChunks);
      assert.ok(had.size >= 10 && had.size < 48, `${had.size} chunks were recorded before the kill`);
      const putsBefore = firstRunPuts.length;

      const resumed = await ferry([...args, '--json']);
      assert.equal(resumed.code, 0, resumed.stderr);
      const report = JSON.parse(resumed.stdout) as UploadReport;
      assert.equal(report.uploadId, uploadId);
      assert.equal(report.resumed, true);
      const secondRunPuts = (api.chunkPuts.get(uploadId) ?? []).slice(putsBefore);
      assert.deepEqual(
        secondRunPuts.filter((i) => had.has(i)),
        [],
        'no chunk the API had was sent again',
      );
      assert.deepEqual(
        [...secondRunPuts].sort((a, b) => a - b),
        report.chunksSent,
      );
      // The (at most 2) requests cut by the kill may still have been recorded after `had` was read.
      const sent = report.chunksSent.length;
      assert.ok(sent <= 48 - had.size && sent >= 46 - had.size, `${sent} sent, ${had.size} had`);
      assert.equal(new Set(secondRunPuts).size, secondRunPuts.length, 'each chunk was sent once');
      assert.equal(report.sha256, sha256(data));
      assert.deepEqual(await objectDigest(deps, report.key), { sha256: sha256(data), size: data.length });
    });
  });

  it('exits 3 with a clear message when the API refuses the token, 2 on a usage error', async () => {
    const { file } = await fixture('small.txt', 10);
    const tokenFile = path.join(dir, 'wrong-token');
    await writeFile(tokenFile, 'wrong\n');
    const run = await ferry(['upload', file, '--token-file', tokenFile]);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /^ferry: POST \/v1\/uploads answered 401: a valid bearer token is required$/m);
    const usage = await ferry(['upload']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /missing required argument 'file'/);
  });
});
