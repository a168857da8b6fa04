/**
 * SFTP → S3 ingest benchmark (issue 3): Ferry against `rclone copy`, from the
 * same sshd into the same MinIO, in one run.
 *   - one 1 GiB file: MB/s of each, ratio Ferry/rclone (median of three
 *     rounds, like the memory figures);
 *   - 1,000 files of 64 KiB: files/s of each, Ferry through its real path
 *     on both lanes (a scan that starts one transfer workflow per file, and
 *     a scan of a `smallFiles: "batch"` server that starts transferBatch
 *     workflows), and the CPU each process spends per file on either side;
 *   - the Temporal floor: as many empty transfer workflows (bench/floor/),
 *     to show what one workflow per file version allows before any file work;
 *   - peak RSS (VmHWM) of a Ferry worker process while it transfers one
 *     100 MiB file, and of a fresh one while it transfers the 1 GiB file.
 * Run: `npm run bench:ingest` (starts the local services). Last line: JSON.
 * `npm run bench:ingest -- --only large|small` runs one half (figures of the
 * other half are then absent from the JSON).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Server } from '../src/generated/prisma/client';
import { createTestDeps, type TestDeps } from './lib/deps';
import { sftpAccount } from './lib/env';
import {
  createTestServer,
  createTransferRow,
  localPathOf,
  startTransfer,
  writeRandomFile,
} from './lib/ingest-fixtures';
import { repoRoot } from './lib/paths';
import { startWorkerProcess } from './lib/worker-process';
import { cpuSeconds, cpuSecondsOfTree, reapedChildrenCpuSeconds, servicePid } from './lib/cpu';
import { type LaneRun, newPayloadKeys, runLane } from './lib/small-lanes';
import { measureTemporalFloor } from './floor/measure';
import { MiB } from '../src/lib/units';

const BUCKET = 'ferry-bench';
/** BENCH_SMALL_FILES=200 for a quick check; the figures compared across runs are taken with 1,000. */
const SMALL_FILES = Number(process.env.BENCH_SMALL_FILES ?? 1000);
const SMALL_SIZE = 64 * 1024;
const LARGE_ROUNDS = 3;

function prepareServices(): void {
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: repoRoot, stdio: 'inherit' });
  const env = readFileSync(path.join(repoRoot, '.ferry/env'), 'utf8');
  const testDb = /^TEST_DATABASE_URL=(.*)$/m.exec(env)?.[1] ?? '';
  execFileSync('npx', ['tsx', 'scripts/migrate.ts'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: testDb },
  });
}

/** Peak resident set size of a process, from the kernel's high-water mark. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

/** Resets the high-water mark to the current RSS (Linux: "5" to clear_refs). */
function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/**
 * One worker process per measurement. Its peak RSS is taken twice: for the
 * whole process (start-up included: loading the workflow bundle and the SDK
 * varies by tens of MiB from run to run, whatever the file), and during the
 * transfer alone, the high-water mark being reset once the worker is ready.
 * The target compares the latter: what a transfer adds must not grow with
 * the file's size.
 */
async function ferryLarge(deps: TestDeps, server: Server, rel: string, size: number) {
  const taskQueue = `bench-ingest-${randomUUID()}`;
  const worker = await startWorkerProcess(taskQueue);
  const pid = worker.child.pid ?? 0;
  try {
    const row = await createTransferRow(deps, server, rel);
    const startupPeakRssMiB = peakRssMiB(pid);
    resetPeakRss(pid);
    const started = performance.now();
    await (await startTransfer(deps, row, taskQueue)).result();
    const seconds = (performance.now() - started) / 1000;
    return { seconds, mbps: size / 1e6 / seconds, peakRssMiB: peakRssMiB(pid), startupPeakRssMiB };
  } finally {
    await worker.stop();
  }
}

/** Gives `dir` the owner of `like` (the SFTP account), so the scan may read it. */
function chownLike(dir: string, like: string): void {
  const owner = statSync(like);
  chownSync(dir, owner.uid, owner.gid);
}

/** `rclone copy` with remotes from environment variables (no config file). */
function rcloneCopy(config: TestDeps['config'], from: string, to: string): number {
  const account = sftpAccount();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_FSFTP_TYPE: 'sftp',
    RCLONE_CONFIG_FSFTP_HOST: account.host,
    RCLONE_CONFIG_FSFTP_PORT: String(account.port),
    RCLONE_CONFIG_FSFTP_USER: account.username,
    RCLONE_CONFIG_FSFTP_KEY_FILE: account.privateKeyFile,
    // The account may only run internal-sftp: no remote md5sum/sha1sum commands.
    RCLONE_CONFIG_FSFTP_DISABLE_HASHCHECK: 'true',
    RCLONE_CONFIG_FSFTP_SHELL_TYPE: 'none',
    RCLONE_CONFIG_FS3_TYPE: 's3',
    RCLONE_CONFIG_FS3_PROVIDER: 'Minio',
    RCLONE_CONFIG_FS3_ACCESS_KEY_ID: config.S3_ACCESS_KEY_ID,
    RCLONE_CONFIG_FS3_SECRET_ACCESS_KEY: config.S3_SECRET_ACCESS_KEY,
    // This checkout's MinIO (FERRY_MINIO_PORT), the one Ferry writes to.
    RCLONE_CONFIG_FS3_ENDPOINT: config.S3_ENDPOINT,
    RCLONE_CONFIG_FS3_REGION: 'us-east-1',
  };
  // Debian's rclone 1.60 refuses any AWS_CA_BUNDLE with its own HTTP transport (plain HTTP here anyway).
  delete env.AWS_CA_BUNDLE;
  const started = performance.now();
  const run = spawnSync('rclone', ['copy', from, to], { env, encoding: 'utf8' });
  if (run.error) throw new Error(`rclone could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`rclone copy ${from} failed: ${run.stderr}`);
  return (performance.now() - started) / 1000;
}

async function emptyPrefix(deps: TestDeps, prefix: string): Promise<void> {
  for (;;) {
    const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key ?? '' }));
    if (keys.length === 0) return;
    await deps.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys } }));
  }
}

type Figures = Record<string, number>;
type FerryLarge = Awaited<ReturnType<typeof ferryLarge>>;

/**
 * Three rounds of: 100 MiB then 1 GiB through Ferry (a fresh worker each),
 * then the 1 GiB file with rclone; the figures are the medians. One round
 * was not enough: a worker's peak RSS moves by ±30 MiB from one process to
 * the next (garbage collection timing), as much as the target's margin, and
 * rclone's speed by ±15 %. Each round copies its own hard links of the
 * fixtures (new paths, so new file versions, rows and keys; no rewrite).
 */
async function largeFile(deps: TestDeps, server: Server, root: string): Promise<Figures> {
  console.log('writing fixtures: 1 GiB and 100 MiB files of random bytes');
  writeRandomFile(server, 'big-1g.bin', 1024 * MiB);
  writeRandomFile(server, 'mid-100m.bin', 100 * MiB);
  const rounds: { mid: FerryLarge; large: FerryLarge; rcloneMbps: number }[] = [];
  for (let i = 1; i <= LARGE_ROUNDS; i++) {
    for (const rel of ['big-1g.bin', 'mid-100m.bin']) {
      mkdirSync(localPathOf(server, `r${i}`), { recursive: true });
      linkSync(localPathOf(server, rel), localPathOf(server, `r${i}/${rel}`));
    }
    console.log(
      `round ${i}/${LARGE_ROUNDS}: ferry 100 MiB, then 1 GiB, each in a fresh worker process; rclone 1 GiB`,
    );
    const mid = await ferryLarge(deps, server, `r${i}/mid-100m.bin`, 100 * MiB);
    const large = await ferryLarge(deps, server, `r${i}/big-1g.bin`, 1024 * MiB);
    const rcloneSeconds = rcloneCopy(
      deps.config,
      `fsftp:${path.join(root, server.remoteDir, `r${i}`, 'big-1g.bin')}`,
      `fs3:${BUCKET}/rclone-${server.id}/r${i}/`,
    );
    rounds.push({ mid, large, rcloneMbps: (1024 * MiB) / 1e6 / rcloneSeconds });
  }
  const med = (pick: (r: (typeof rounds)[number]) => number) => round(median(rounds.map(pick)));
  for (const [i, r] of rounds.entries()) {
    console.log(
      `  round ${i + 1}: 1 GiB ferry ${round(r.large.mbps)} MB/s, rclone ${round(r.rcloneMbps)} MB/s; ` +
        `peak RSS ${round(r.mid.peakRssMiB)} / ${round(r.large.peakRssMiB)} MiB ` +
        `(growth ${round(r.large.peakRssMiB - r.mid.peakRssMiB)})`,
    );
  }
  return {
    largeFileBytes: 1024 * MiB,
    largeRounds: LARGE_ROUNDS,
    ferryLargeMBps: med((r) => r.large.mbps),
    rcloneLargeMBps: med((r) => r.rcloneMbps),
    largeRatio: med((r) => r.large.mbps / r.rcloneMbps),
    ferryPeakRssMiB100M: med((r) => r.mid.peakRssMiB),
    ferryPeakRssMiB1G: med((r) => r.large.peakRssMiB),
    rssGrowthMiB: med((r) => r.large.peakRssMiB - r.mid.peakRssMiB),
    ferryStartupPeakRssMiB100M: med((r) => r.mid.startupPeakRssMiB),
    ferryStartupPeakRssMiB1G: med((r) => r.large.startupPeakRssMiB),
    ferryMidMBps: med((r) => r.mid.mbps),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** The small-file runs: per-file and batch lane, each without and with the payload codec. */
const LANES = [
  { name: 'per-file lane', prefix: 'ferry', batch: false, codec: false },
  { name: 'per-file lane, payload codec', prefix: 'ferryCodec', batch: false, codec: true },
  { name: 'batch lane', prefix: 'ferryBatch', batch: true, codec: false },
  { name: 'batch lane, payload codec', prefix: 'ferryBatchCodec', batch: true, codec: true },
] as const;

/** What one lane's run adds to the figures, under its prefix: files/s and what each file cost. */
function laneFigures(prefix: string, run: LaneRun, rcloneFilesPerSecond: number): Figures {
  const ms = (seconds: number) => round(seconds * 1000);
  const cpu = run.cpuPerFile;
  return {
    [`${prefix}SmallFilesPerSec`]: round(run.filesPerSecond),
    [`${prefix}SmallRatio`]: round(run.filesPerSecond / rcloneFilesPerSecond),
    [`${prefix}WorkerCpuMsPerFile`]: ms(cpu.worker),
    [`${prefix}TemporalCpuMsPerFile`]: ms(cpu.temporal),
    [`${prefix}MinioCpuMsPerFile`]: ms(cpu.minio),
    [`${prefix}SshdCpuMsPerFile`]: ms(cpu.sshd),
    [`${prefix}PostgresCpuMsPerFile`]: ms(cpu.postgres),
    [`${prefix}TotalCpuMsPerFile`]: ms(cpu.worker + cpu.temporal + cpu.minio + cpu.sshd + cpu.postgres),
    [`${prefix}S3RequestsPerFile`]: round(run.requestsPerFile.s3),
    [`${prefix}SqlStatementsPerFile`]: round(run.requestsPerFile.sql),
    [`${prefix}SftpRequestsPerFile`]: round(run.requestsPerFile.sftp),
    [`${prefix}HistoryEventsPerFile`]: round(run.historyEventsPerFile),
    [`${prefix}WorkflowsPerFile`]: round(run.workflowsPerFile * 1000) / 1000,
  };
}

/**
 * SMALL_FILES × 64 KiB through a Ferry scan on each lane (without and with
 * the payload codec), then with rclone. Each run's server lists hard links
 * of the same files (new paths: its own rows, keys and workflows).
 */
async function smallFiles(
  deps: TestDeps,
  codecDeps: TestDeps,
  servers: Server[],
  root: string,
): Promise<Figures> {
  const [first] = servers;
  if (!first) throw new Error('no server for the small files');
  console.log(`writing fixtures: ${SMALL_FILES} × 64 KiB files of random bytes`);
  for (const server of servers.slice(1)) mkdirSync(localPathOf(server, ''), { recursive: true });
  for (let i = 0; i < SMALL_FILES; i++) {
    const rel = `f${String(i).padStart(4, '0')}.bin`;
    writeRandomFile(first, rel, SMALL_SIZE);
    for (const server of servers.slice(1)) linkSync(localPathOf(first, rel), localPathOf(server, rel));
  }
  for (const server of servers.slice(1)) chownLike(localPathOf(server, ''), localPathOf(first, ''));
  const runs: LaneRun[] = [];
  for (const [i, lane] of LANES.entries()) {
    console.log(`ferry, ${lane.name}: scan of ${SMALL_FILES} small files`);
    const server = servers[i + 1] ?? first;
    const run = lane.codec
      ? await runLane(codecDeps, server, SMALL_FILES, codecDeps.config.FERRY_PAYLOAD_KEYS)
      : await runLane(deps, server, SMALL_FILES);
    console.log(
      `  ${round(run.filesPerSecond)} files/s; requests: ${JSON.stringify(run.requestsPerFile.detail)}`,
    );
    runs.push(run);
  }
  console.log(`rclone: ${SMALL_FILES} small files`);
  const minioBefore = cpuSeconds(servicePid('minio'));
  const sshdBefore = cpuSecondsOfTree(servicePid('sshd'));
  const rcloneCpuBefore = reapedChildrenCpuSeconds();
  const rcloneSeconds = rcloneCopy(
    deps.config,
    `fsftp:${path.join(root, first.remoteDir)}`,
    `fs3:${BUCKET}/rclone-${first.id}/`,
  );
  const rcloneCpu = reapedChildrenCpuSeconds() - rcloneCpuBefore;
  const rcloneMinioCpu = cpuSeconds(servicePid('minio')) - minioBefore;
  const rcloneSshdCpu = cpuSecondsOfTree(servicePid('sshd')) - sshdBefore;
  const rcloneFilesPerSecond = SMALL_FILES / rcloneSeconds;
  console.log(`temporal floor: ${SMALL_FILES} empty transfer workflows`);
  const floor = await measureTemporalFloor(deps, SMALL_FILES);
  const perFileMs = (cpuSeconds: number) => round((cpuSeconds * 1000) / SMALL_FILES);
  const figures: Figures = {
    smallFiles: SMALL_FILES,
    rcloneSmallFilesPerSec: round(rcloneFilesPerSecond),
    ...Object.fromEntries(
      LANES.flatMap((lane, i) =>
        Object.entries(laneFigures(lane.prefix, runs[i] as LaneRun, rcloneFilesPerSecond)),
      ),
    ),
  };
  // The names earlier runs printed, kept for comparison.
  figures.smallRatio = figures.ferrySmallRatio ?? NaN;
  figures.batchSmallRatio = figures.ferryBatchSmallRatio ?? NaN;
  const total = (prefix: string) => figures[`${prefix}TotalCpuMsPerFile`] ?? NaN;
  return {
    ...figures,
    // What the codec adds per file (CPU of all processes, ms) and what it leaves of files/s.
    codecCpuMsPerFile: round(total('ferryCodec') - total('ferry')),
    codecFilesPerSecRatio: round((runs[1]?.filesPerSecond ?? NaN) / (runs[0]?.filesPerSecond ?? NaN)),
    batchCodecCpuMsPerFile: round(total('ferryBatchCodec') - total('ferryBatch')),
    batchCodecFilesPerSecRatio: round((runs[3]?.filesPerSecond ?? NaN) / (runs[2]?.filesPerSecond ?? NaN)),
    rcloneCpuMsPerFile: perFileMs(rcloneCpu),
    rcloneMinioCpuMsPerFile: perFileMs(rcloneMinioCpu),
    rcloneSshdCpuMsPerFile: perFileMs(rcloneSshdCpu),
    rcloneTotalCpuMsPerFile: perFileMs(rcloneCpu + rcloneMinioCpu + rcloneSshdCpu),
    // Measured, not derived: one workflow per file version with no file work at all.
    floorWorkflowsPerSec: round(floor.workflowsPerSecond),
    floorRatio: round(floor.workflowsPerSecond / rcloneFilesPerSecond),
    floorTemporalCpuMsPerWorkflow: perFileMs(floor.cpu.temporal),
    floorWorkerCpuMsPerWorkflow: perFileMs(floor.cpu.worker),
    floorStarterCpuMsPerWorkflow: perFileMs(floor.cpu.starter),
  };
}

/** The small-file lanes beside rclone: files/s, then what a file costs, by process and in round trips. */
function printSmallFiles(f: Figures): void {
  const rclone = f.rcloneSmallFilesPerSec;
  for (const lane of LANES) {
    const p = lane.prefix;
    console.log(
      `64 KiB, ${lane.name.padEnd(28)} ${pad(f[`${p}SmallFilesPerSec`])}  ${pad(rclone)}  ${pad(f[`${p}SmallRatio`])}`,
    );
  }
  console.log(
    `CPU ms per 64 KiB file   worker  Temporal  MinIO  sshd  PostgreSQL  total | S3  SQL  SFTP  events`,
  );
  for (const lane of LANES) {
    const v = (name: string) => String(f[`${lane.prefix}${name}`]).padStart(6);
    console.log(
      `  ${lane.name.padEnd(28)} ${v('WorkerCpuMsPerFile')} ${v('TemporalCpuMsPerFile')} ${v('MinioCpuMsPerFile')} ` +
        `${v('SshdCpuMsPerFile')} ${v('PostgresCpuMsPerFile')} ${v('TotalCpuMsPerFile')} | ${v('S3RequestsPerFile')} ` +
        `${v('SqlStatementsPerFile')} ${v('SftpRequestsPerFile')} ${v('HistoryEventsPerFile')}`,
    );
  }
  console.log(
    `  rclone                       ${String(f.rcloneCpuMsPerFile).padStart(6)}      -    ` +
      `${String(f.rcloneMinioCpuMsPerFile).padStart(6)} ${String(f.rcloneSshdCpuMsPerFile).padStart(6)}      -    ` +
      `${String(f.rcloneTotalCpuMsPerFile).padStart(6)}`,
  );
  console.log(
    `payload codec (FERRY_PAYLOAD_KEYS), cost per file: per-file lane +${f.codecCpuMsPerFile} ms CPU, ` +
      `files/s ×${f.codecFilesPerSecRatio}; batch lane +${f.batchCodecCpuMsPerFile} ms CPU, files/s ×${f.batchCodecFilesPerSecRatio}`,
  );
}

function printTable(f: Figures): void {
  console.log('');
  console.log('                       ferry        rclone     ferry/rclone');
  if (f.largeRatio !== undefined) {
    console.log(
      `1 GiB file (MB/s)   ${pad(f.ferryLargeMBps)}  ${pad(f.rcloneLargeMBps)}  ${pad(f.largeRatio)}`,
    );
  }
  if (f.smallFiles !== undefined) printSmallFiles(f);
  if (f.floorWorkflowsPerSec !== undefined) {
    console.log(
      `  Temporal alone, the same number of empty transfer workflows (one local activity that does nothing): ` +
        `${f.floorWorkflowsPerSec}/s, ${f.floorRatio}× rclone's files/s; CPU ms each: ` +
        `Temporal ${f.floorTemporalCpuMsPerWorkflow}, worker ${f.floorWorkerCpuMsPerWorkflow}, ` +
        `starter ${f.floorStarterCpuMsPerWorkflow}`,
    );
  }
  if (f.rssGrowthMiB !== undefined) {
    console.log(
      `ferry worker peak RSS during the transfer: ${f.ferryPeakRssMiB100M} MiB (100 MiB file), ${f.ferryPeakRssMiB1G} MiB (1 GiB file)`,
    );
    console.log(
      `  (peak before the transfer, start-up: ${f.ferryStartupPeakRssMiB100M} MiB and ${f.ferryStartupPeakRssMiB1G} MiB)`,
    );
  }
  const targets = [
    f.largeRatio !== undefined && `large ≥ 1.0× rclone: ${f.largeRatio >= 1}`,
    f.rssGrowthMiB !== undefined && `RSS(1 GiB) − RSS(100 MiB) ≤ 32 MiB: ${f.rssGrowthMiB <= 32}`,
    f.smallRatio !== undefined && `small ≥ 0.5× rclone: ${f.smallRatio >= 0.5}`,
    f.batchSmallRatio !== undefined && `small, batch lane ≥ 0.5× rclone: ${f.batchSmallRatio >= 0.5}`,
  ].filter(Boolean);
  console.log(`targets: ${targets.join('; ')}`);
  console.log(JSON.stringify(f));
}

function parseOnly(argv: string[]): 'large' | 'small' | undefined {
  const i = argv.indexOf('--only');
  if (i === -1) return undefined;
  const value = argv[i + 1];
  if (value !== 'large' && value !== 'small') throw new Error('--only takes "large" or "small"');
  return value;
}

async function main(): Promise<void> {
  const only = parseOnly(process.argv.slice(2));
  prepareServices();
  const deps = await createTestDeps({ FERRY_BUCKET: BUCKET });
  // The codec runs' client: the scan's input is encrypted as a Ferry client with these keys would.
  const codecDeps = await createTestDeps({ FERRY_BUCKET: BUCKET, FERRY_PAYLOAD_KEYS: newPayloadKeys() });
  const big = await createTestServer(deps, { bucket: BUCKET });
  const small = [await createTestServer(deps, { bucket: BUCKET, recursive: false })];
  for (const lane of LANES) {
    const smallFiles = lane.batch ? 'batch' : 'workflow';
    small.push(await createTestServer(deps, { bucket: BUCKET, recursive: false, smallFiles }));
  }
  const root = sftpAccount().root;
  try {
    const figures: Figures = {
      ...(only !== 'small' ? await largeFile(deps, big, root) : {}),
      ...(only !== 'large' ? await smallFiles(deps, codecDeps, small, root) : {}),
    };
    printTable(figures);
  } finally {
    for (const server of [big, ...small]) {
      rmSync(path.join(root, server.remoteDir), { recursive: true, force: true });
      await emptyPrefix(deps, server.keyPrefix);
      await emptyPrefix(deps, `rclone-${server.id}/`);
      await deps.db.server.delete({ where: { id: server.id } });
    }
    await codecDeps.close();
    await deps.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
const pad = (n: number | undefined) => String(n).padStart(10);

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
