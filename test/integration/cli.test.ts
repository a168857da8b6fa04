import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { killFerryRuns, runFerry } from '../helpers/cli';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { sftpAccount, TEST_TOKEN } from '../helpers/env';
import { cleanupServer, type ServerAnswer } from '../helpers/servers';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

interface TransferRow {
  id: string;
  status: string;
  objectKey: string;
  workflowId: string;
}

describe('the ferry CLI against the API', () => {
  const taskQueue = taskQueueFor('cli');
  const account = sftpAccount();
  const tag = `cli-${Date.now().toString(36)}`;
  let deps: TestDeps;
  let api: TestApi;
  let dir: string;
  let serverId = '';

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'error' });
    api = await startTestApi(deps);
    dir = await mkdtemp(path.join(tmpdir(), 'ferry-cli-'));
  });
  after(async () => {
    killFerryRuns();
    if (serverId) await cleanupServer(api, deps, serverId, taskQueue);
    await api.close();
    await deps.close();
    await rm(dir, { recursive: true, force: true });
    await rm(path.join(account.root, tag), { recursive: true, force: true });
  });

  const env = () => ({ FERRY_API_URL: api.url, FERRY_API_TOKEN: TEST_TOKEN, FERRY_STATE_DIR: dir });
  const ferry = (args: string[], stdin?: string) => runFerry(args, env(), { stdin });
  async function ferryJson<T>(args: string[], stdin?: string): Promise<T> {
    const run = await ferry([...args, '--json'], stdin);
    assert.equal(run.code, 0, `ferry ${args.join(' ')}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  }

  it('lists its commands in --help, and each group its subcommands', async () => {
    const help = await ferry(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['servers', 'transfers', 'upload', 'uploads', 'status', 'export', 'jobs']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    }
    assert.match(help.stdout, /Exit codes: 0 ok/);
    const servers = await ferry(['servers', '--help']);
    for (const sub of ['list', 'add', 'show', 'update', 'remove', 'scan']) {
      assert.match(servers.stdout, new RegExp(`^  ${sub}\\b`, 'm'));
    }
  });

  it('exits 2 on usage errors, 3 without a valid token, and takes no secret from argv', async () => {
    assert.equal((await ferry(['servers', 'show'])).code, 2);
    assert.equal((await ferry(['transfers', 'list', '--status', 'lost'])).code, 2);
    assert.equal((await ferry(['jobs', 'list', '--token', TEST_TOKEN])).code, 2);
    const noToken = await runFerry(['jobs', 'list'], { ...env(), FERRY_API_TOKEN: undefined });
    assert.equal(noToken.code, 3);
    assert.match(noToken.stderr, /no API token/);
    const wrong = await ferry(['jobs', 'list', '--token-file', '-'], 'not-the-token\n');
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /answered 401/);
  });

  it('registers a server (password from a file), scans it, and follows its transfer and jobs', async () => {
    mkdirSync(path.join(account.root, tag, 'in'), { recursive: true });
    chmodSync(path.join(account.root, tag), 0o777); // the export is delivered there by the SFTP user
    writeFileSync(path.join(account.root, tag, 'in', 'hello.txt'), 'hello from the cli test\n');
    const passwordFile = path.join(dir, 'sftp-password');
    await writeFile(passwordFile, `${account.password}\n`);
    const server = await ferryJson<ServerAnswer>([
      'servers', 'add', '--name', tag, '--host', account.host, '--port', String(account.port),
      '--username', account.username, '--password-file', passwordFile,
      '--fingerprint', account.hostFingerprint, '--remote-dir', `${tag}/in`, '--min-age', '0',
      '--interval', '3600', '--bucket', 'ferry-test', '--key-prefix', `${tag}/`,
    ]); // prettier-ignore
    serverId = server.id;
    assert.equal(server.hasPassword, true);
    assert.equal(server.hasPrivateKey, false);

    const listed = await ferryJson<ServerAnswer[]>(['servers', 'list']);
    assert.ok(listed.some((s) => s.id === serverId));
    const shown = await ferry(['servers', 'show', serverId]);
    assert.match(shown.stdout, new RegExp(`^name +${tag}$`, 'm'));
    const updated = await ferryJson<ServerAnswer>(
      ['servers', 'update', serverId, '--interval', '7200', '--private-key-file', '-'],
      await readFile(account.privateKeyFile, 'utf8'),
    );
    assert.equal(updated.scanIntervalSeconds, 7200);
    assert.equal(updated.hasPrivateKey, true);

    await withWorker(deps, taskQueue, async () => {
      const scan = await ferryJson<{ workflowId: string }>(['servers', 'scan', serverId]);
      assert.equal(scan.workflowId, `ferry-scan-${serverId}`);
      const transfer = await waitFor('the transfer to complete', async () => {
        const page = await ferryJson<{ transfers: TransferRow[] }>(['transfers', 'list', '--server', serverId]);
        return page.transfers.find((t) => t.status === 'completed');
      }, { timeoutMs: 120_000, intervalMs: 1000 }); // prettier-ignore
      assert.equal(transfer.objectKey, `${tag}/hello.txt`);
      const watched = await ferry(['transfers', 'show', transfer.id, '--watch']);
      assert.equal(watched.code, 0, watched.stderr);
      assert.match(watched.stdout, /^status +completed$/m);

      const jobs = await ferryJson<{ jobs: { jobId: string }[] }>(['jobs', 'list', '--kind', 'transfer']);
      assert.ok(jobs.jobs.some((j) => j.jobId === transfer.workflowId));
      const job = await ferry(['jobs', 'show', transfer.workflowId]);
      assert.match(job.stdout, /^kind +transfer$/m);
      assert.equal((await ferry(['transfers', 'show', '00000000-0000-4000-8000-000000000000'])).code, 4);

      const exported = await ferry([
        'export', '--bucket', 'ferry-test', '--key', transfer.objectKey, '--archive', `${tag}.zip`,
        '--server', serverId, '--dir', tag, '--json',
      ]); // prettier-ignore
      assert.equal(exported.code, 0, exported.stderr);
      const view = JSON.parse(exported.stdout) as { status: string; remotePath: string };
      assert.equal(view.status, 'completed');
      assert.ok(view.remotePath.endsWith(`${tag}/${tag}.zip`), view.remotePath);
    });
  });

  it('uploads a file, lists uploads and cancels one', async () => {
    await withWorker(deps, taskQueue, async () => {
      const file = path.join(dir, 'note.txt');
      await writeFile(file, 'a small upload\n');
      const report = await ferryJson<{ uploadId: string; key: string }>(['upload', file]);
      const uploads = await ferryJson<{ jobs: { resource: string }[] }>(['uploads', 'list']);
      assert.ok(uploads.jobs.some((j) => j.resource === `/v1/uploads/${report.uploadId}`));

      const open = await api.call<{ uploadId: string; jobId: string }>('POST', '/v1/uploads', {
        json: { filename: 'never-sent.bin' },
      });
      const cancelled = await ferryJson<{ cancelRequested?: boolean; status: string }>([
        'uploads',
        'cancel',
        open.body.uploadId,
      ]);
      assert.ok(cancelled.cancelRequested || cancelled.status === 'cancelled', JSON.stringify(cancelled));
      await waitFor('the upload to be cancelled', async () => {
        const run = await ferry(['uploads', 'show', open.body.uploadId]);
        return /^status +cancelled$/m.test(run.stdout);
      });
    });
  });

  it("sets search attributes that find a server's workflows and a kind", async () => {
    const ids = async (query: string) => {
      const found: string[] = [];
      for await (const w of deps.temporal.workflow.list({ query })) found.push(w.workflowId);
      return found;
    };
    const ofServer = await waitFor("the server's workflows to be visible", async () => {
      const found = await ids(`FerryServerId = '${serverId}'`);
      return found.some((id) => id.startsWith('ferry-export-')) &&
        found.some((id) => id.startsWith('ferry-transfer-'))
        ? found
        : undefined;
    });
    assert.ok(ofServer.includes(`ferry-scan-${serverId}`));
    assert.ok(ofServer.every((id) => id.includes(serverId) || /^ferry-(export|transfer)-/.test(id)));
    const transfers = await ids(`FerryKind = 'transfer' AND FerryServerId = '${serverId}'`);
    assert.equal(transfers.length, 1);
    const uploads = await ids(`FerryKind = 'upload' AND TaskQueue = '${taskQueue}'`);
    assert.equal(uploads.length, 2);
    // The payload codec is off here, so workflows carry their bucket too.
    const inBucket = await ids(`FerryBucket = 'ferry-test' AND FerryServerId = '${serverId}'`);
    assert.ok(inBucket.includes(`ferry-scan-${serverId}`), inBucket.join());
    assert.ok(
      inBucket.some((id) => id.startsWith('ferry-transfer-')),
      inBucket.join(),
    );
    assert.ok(
      inBucket.some((id) => id.startsWith('ferry-export-')),
      inBucket.join(),
    );
  });
});
