/**
 * Export benchmark (issue 12): S3 objects → zip → validator → SFTP, Ferry
 * against the pipeline a team would script, from the same MinIO to the same
 * sshd, in one run:
 *   - 1 GiB made of 64 objects of 16 MiB, stored (no compression), with a
 *     validator that reads the whole body: Ferry's wall time from POST to
 *     completed, against `rclone copy` to local disk + `zip -0 -r` + `sftp put`;
 *   - SFTP delivery throughput (Ferry's deliver step) against `sftp put` of
 *     the same zip;
 *   - peak RSS growth of a fresh worker process during a 100 MiB and a 1 GiB
 *     export (high-water mark reset once the worker is ready), beside the
 *     bound the configuration sets: EXPORTS_PER_WORKER exports at once, each
 *     using about EXPORT_MEMORY_MIB (docs/exports.md, "Memory bounds").
 * Run: `npm run bench:exports` (starts the local services). `-- --gib 0.25`
 * scales the large export down while developing. Last line: JSON.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestApi, type TestApi } from './lib/api-client';
import { createTestDeps, ensureBucket, type TestDeps } from './lib/deps';
import { sftpAccount } from './lib/env';
import { putObjects, removePrefix } from './lib/objects';
import { createTestServer, removeTestFiles } from './lib/ingest-fixtures';
import { waitFor } from './lib/wait';
import { startWorkerProcess } from './lib/worker-process';
import { repoRoot } from './lib/paths';
import type { Server } from '../src/generated/prisma/client';
import { openTemp } from '../src/activities/exports/remote-files';
import { openSftp, rawSftp, sftpTargetOf } from '../src/activities/sftp/connection';
import { PipelinedWriter } from '../src/activities/sftp/pipelined-writer';

const MiB = 1024 * 1024;
const BUCKET = 'ferry-bench';
/** The worker's SFTP WRITE size (src/activities/exports/index.ts). */
const WRITE_BYTES = 255 * 1024;
const OBJECT = 16 * MiB;

function prepareBenchServices(): void {
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: repoRoot, stdio: 'inherit' });
  const env = readFileSync(path.join(repoRoot, '.ferry/env'), 'utf8');
  const testDb = /^TEST_DATABASE_URL=(.*)$/m.exec(env)?.[1] ?? '';
  execFileSync('npx', ['tsx', 'scripts/migrate.ts'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: testDb },
  });
}

/** Resident set size of a process (VmRSS) or its high-water mark (VmHWM), in MiB. */
function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
}

/** Resets the high-water mark to the current RSS (Linux: "5" to clear_refs). */
function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** A validator that reads every byte it is sent and accepts. */
async function startReadingValidator(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => res.writeHead(200).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/validate`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function seed(deps: TestDeps, prefix: string, count: number): Promise<void> {
  const base = randomBytes(OBJECT);
  const objects = Array.from({ length: count }, (_, i) => {
    const body = Buffer.from(base);
    body.writeUInt32LE(i, 0);
    return { key: `${prefix}obj-${String(i).padStart(3, '0')}.bin`, body };
  });
  for (let i = 0; i < objects.length; i += 8) await putObjects(deps.s3, BUCKET, objects.slice(i, i + 8));
}

/**
 * Seconds each activity of an export ran (its last attempt, started to
 * completed), by activity type, from the workflow's history: where the time
 * of an export goes.
 */
async function activitySeconds(deps: TestDeps, workflowId: string): Promise<Record<string, number>> {
  const history = await deps.temporal.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const ms = (e: (typeof events)[number] | undefined) =>
    Number(e?.eventTime?.seconds ?? 0) * 1000 + (e?.eventTime?.nanos ?? 0) / 1e6;
  const seconds: Record<string, number> = {};
  for (const scheduled of events.filter((e) => e.activityTaskScheduledEventAttributes)) {
    const name = scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
    const id = Number(scheduled.eventId);
    const started = [...events]
      .reverse()
      .find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
    const completed = events.find(
      (e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id,
    );
    if (started && completed)
      seconds[name] = +((seconds[name] ?? 0) + (ms(completed) - ms(started)) / 1000).toFixed(2);
  }
  return seconds;
}

/**
 * The floor under delivery: the same pipelined SFTP writes (ssh2, the same
 * request size and number in flight as the worker uses) of `bytes` from
 * memory, with no S3 read behind them, to the same server.
 */
async function sshWriteFloor(deps: TestDeps, server: Server, bytes: number): Promise<number> {
  const client = await openSftp(sftpTargetOf(server, deps.config.secretKey));
  try {
    const sftp = rawSftp(client);
    const remote = `.ssh-floor-${randomUUID().slice(0, 8)}`;
    const handle = await openTemp(sftp, remote, false);
    const concurrency = Math.max(4, Math.floor((deps.config.EXPORT_MEMORY_MIB * MiB) / 8 / WRITE_BYTES));
    const writer = new PipelinedWriter(sftp, handle, 0, concurrency);
    const block = randomBytes(WRITE_BYTES);
    const started = performance.now();
    for (let offset = 0; offset < bytes; offset += WRITE_BYTES) await writer.write(block, offset);
    await writer.drain();
    const seconds = (performance.now() - started) / 1000;
    writer.stop();
    await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
    await new Promise<void>((resolve) => sftp.unlink(remote, () => resolve()));
    return bytes / MiB / seconds;
  } finally {
    await client.end();
  }
}

/** One export on a fresh worker process: wall time, delivery time, and the RSS the export added. */
async function ferryExport(
  deps: TestDeps,
  api: TestApi,
  serverId: string,
  prefix: string,
  validatorUrl: string,
) {
  // The bounds under test, passed explicitly so the figures printed are the ones the worker ran with.
  const worker = await startWorkerProcess(deps.config.TEMPORAL_TASK_QUEUE, {
    EXPORTS_PER_WORKER: String(deps.config.EXPORTS_PER_WORKER),
    EXPORT_MEMORY_MIB: String(deps.config.EXPORT_MEMORY_MIB),
  });
  const pid = worker.child.pid ?? 0;
  try {
    resetPeakRss(pid);
    const baseline = rssMiB(pid, 'VmRSS');
    const started = performance.now();
    const res = await api.call<{ exportId: string; jobId: string }>('POST', '/v1/exports', {
      json: {
        sources: { bucket: BUCKET, prefix },
        layout: 'flatten',
        archiveName: 'bench.zip',
        compression: 'store',
        validator: { url: validatorUrl, timeoutSeconds: 600 },
        target: { serverId, directory: `bench-exports-${randomUUID().slice(0, 8)}` },
      },
    });
    if (res.status !== 202) throw new Error(`POST /v1/exports answered ${res.status}: ${res.text}`);
    const row = await waitFor(
      'the export to finish',
      async () => {
        const r = await deps.db.export.findUnique({ where: { id: res.body.exportId } });
        return r && ['completed', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
      },
      { timeoutMs: 1_800_000, intervalMs: 100 },
    );
    const seconds = (performance.now() - started) / 1000;
    if (row.status !== 'completed') throw new Error(`export ${row.status}: ${row.error}`);
    return {
      seconds,
      phases: await activitySeconds(deps, res.body.jobId),
      archiveBytes: Number(row.archiveSize),
      rssGrowthMiB: rssMiB(pid, 'VmHWM') - baseline,
      remotePath: row.remotePath ?? '',
    };
  } finally {
    await worker.stop();
  }
}

function timed(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): number {
  const started = performance.now();
  const run = spawnSync(cmd, args, { ...options, encoding: 'utf8', maxBuffer: 64 * MiB });
  if (run.error) throw new Error(`${cmd} could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${run.stderr}`);
  return (performance.now() - started) / 1000;
}

/** The scripted pipeline: rclone copy to disk, zip -0 -r, sftp put; seconds of each step. */
function peerPipeline(deps: TestDeps, prefix: string) {
  const account = sftpAccount();
  const work = path.join(tmpdir(), `ferry-bench-peer-${randomUUID()}`);
  const files = path.join(work, 'files');
  mkdirSync(files, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_FS3_TYPE: 's3',
    RCLONE_CONFIG_FS3_PROVIDER: 'Minio',
    RCLONE_CONFIG_FS3_ACCESS_KEY_ID: deps.config.S3_ACCESS_KEY_ID,
    RCLONE_CONFIG_FS3_SECRET_ACCESS_KEY: deps.config.S3_SECRET_ACCESS_KEY,
    RCLONE_CONFIG_FS3_ENDPOINT: deps.config.S3_ENDPOINT,
    RCLONE_CONFIG_FS3_REGION: deps.config.S3_REGION,
  };
  delete env.AWS_CA_BUNDLE;
  try {
    const copy = timed('rclone', ['copy', `fs3:${BUCKET}/${prefix}`, files], { env });
    const zip = timed('zip', ['-0', '-r', '-q', path.join(work, 'peer.zip'), '.'], { cwd: files });
    const remote = `bench-exports-peer-${randomUUID().slice(0, 8)}.zip`;
    const batch = path.join(work, 'batch');
    writeFileSync(batch, `put ${path.join(work, 'peer.zip')} ${remote}\n`);
    const put = timed('sftp', [
      '-q',
      '-b',
      batch,
      '-i',
      account.privateKeyFile,
      '-P',
      String(account.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      `${account.username}@${account.host}`,
    ]);
    const zipBytes = statSync(path.join(work, 'peer.zip')).size;
    rmSync(path.join(account.root, remote), { force: true });
    return { copy, zip, put, seconds: copy + zip + put, zipBytes };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  prepareBenchServices();
  const gib = Number(arg('gib') ?? '1');
  const largeCount = Math.max(1, Math.round((gib * 1024 * MiB) / OBJECT));
  const deps = await createTestDeps({
    TEMPORAL_TASK_QUEUE: `bench-exports-${randomUUID()}`,
    LOG_LEVEL: 'error',
  });
  const api = await startTestApi(deps);
  const validator = await startReadingValidator();
  const tag = `bench-exports/${randomUUID().slice(0, 8)}/`;
  try {
    await ensureBucket(deps.s3, BUCKET);
    const server = await createTestServer(deps);
    console.log(`seeding ${largeCount} + 7 objects of 16 MiB`);
    await seed(deps, `${tag}large/`, largeCount);
    await seed(deps, `${tag}small/`, 7);

    const small = await ferryExport(deps, api, server.id, `${tag}small/`, validator.url);
    console.log(
      `ferry 100 MiB: ${small.seconds.toFixed(1)} s, RSS growth ${small.rssGrowthMiB.toFixed(1)} MiB`,
    );
    const large = await ferryExport(deps, api, server.id, `${tag}large/`, validator.url);
    console.log(
      `ferry ${gib} GiB: ${large.seconds.toFixed(1)} s, RSS growth ${large.rssGrowthMiB.toFixed(1)} MiB`,
    );
    const peer = peerPipeline(deps, `${tag}large/`);
    console.log(
      `peer: rclone copy ${peer.copy.toFixed(1)} s + zip -0 ${peer.zip.toFixed(1)} s + sftp put ${peer.put.toFixed(1)} s = ${peer.seconds.toFixed(1)} s`,
    );
    const deliverS = large.phases.deliverExportArchive ?? NaN;
    const ferryMBs = large.archiveBytes / MiB / deliverS;
    console.log(
      `ferry phases (s): ${Object.entries(large.phases)
        .map(([name, s]) => `${name} ${s}`)
        .join(', ')}`,
    );
    const putMBs = peer.zipBytes / MiB / peer.put;
    console.log(`delivery: ferry ${ferryMBs.toFixed(1)} MiB/s, sftp put ${putMBs.toFixed(1)} MiB/s`);
    const floorMBs = await sshWriteFloor(deps, server, large.archiveBytes);
    console.log(`ssh2 write floor (memory → SFTP, no S3): ${floorMBs.toFixed(1)} MiB/s`);
    console.log(`ratio ferry/peer wall time: ${(large.seconds / peer.seconds).toFixed(2)}`);
    const { EXPORTS_PER_WORKER: perWorker, EXPORT_MEMORY_MIB: perExport } = deps.config;
    console.log(
      `memory bound: ${perWorker} exports at once × ${perExport} MiB each = ${perWorker * perExport} MiB; ` +
        `growth from 100 MiB to ${gib} GiB: ${(large.rssGrowthMiB - small.rssGrowthMiB).toFixed(1)} MiB`,
    );
    console.log(
      JSON.stringify({
        bench: 'exports',
        gib,
        objects: largeCount,
        ferrySeconds: +large.seconds.toFixed(2),
        peerSeconds: +peer.seconds.toFixed(2),
        peerSteps: {
          rcloneCopy: +peer.copy.toFixed(2),
          zip: +peer.zip.toFixed(2),
          sftpPut: +peer.put.toFixed(2),
        },
        ratioFerryToPeer: +(large.seconds / peer.seconds).toFixed(3),
        ferryPhases: large.phases,
        deliveryMiBs: +ferryMBs.toFixed(1),
        sftpPutMiBs: +putMBs.toFixed(1),
        deliveryRatio: +(ferryMBs / putMBs).toFixed(3),
        sshWriteFloorMiBs: +floorMBs.toFixed(1),
        rssGrowthMiB100: +small.rssGrowthMiB.toFixed(1),
        rssGrowthMiB1G: +large.rssGrowthMiB.toFixed(1),
        rssGrowthDiffMiB: +(large.rssGrowthMiB - small.rssGrowthMiB).toFixed(1),
        archiveBytes: large.archiveBytes,
        exportsPerWorker: perWorker,
        exportMemoryMiB: perExport,
        exportsMemoryBoundMiB: perWorker * perExport,
      }),
    );
    await removePrefix(deps.s3, BUCKET, tag);
    await deps.db.export.deleteMany({ where: { serverId: server.id } });
    await deps.db.server.delete({ where: { id: server.id } });
  } finally {
    removeTestFiles();
    await validator.close();
    await api.close();
    await deps.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
