import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import {
  exportDir,
  fetchOverSftp,
  putObjectsInBulk,
  readArchive,
  remoteListing,
  settledExport,
  unzipTestOk,
} from '../helpers/exports';
import { useExportSuite } from '../helpers/exports-suite';
import { withWorker } from '../helpers/worker';

/** One more than a classic zip's 16-bit entry count can say (65,535). */
const ENTRIES = 65_536;
/** Every this many entries one has contents (the rest are empty), so bytes are checked too. */
const WITH_CONTENTS = 4096;
const sha256 = (b: string) => createHash('sha256').update(b).digest('hex');

/**
 * Test 6 of the exports issue: an archive of more entries than a classic zip
 * can count needs ZIP64 records (yazl writes them), and an export of that many
 * sources must stay within Temporal's limits: the resolved set lives in the
 * database (ExportEntry), never in a workflow's input, an activity's result
 * or a heartbeat.
 */
describe('exports: a ZIP64 archive of more than 65,535 entries', () => {
  const suite = useExportSuite('exports-zip64', { LOG_LEVEL: 'error' });

  it('delivers 65,536 objects to SFTP in one zip that Info-ZIP and Python read whole, with a small history', async () => {
    const bucket = suite.deps.config.FERRY_BUCKET;
    const base = `${suite.prefix}many/`;
    const contents = (i: number) => (i % WITH_CONTENTS === 0 ? `entry ${i}\n` : '');
    const pathOf = (i: number) => `d${i % 64}/f${i}.txt`;
    await putObjectsInBulk(
      suite.deps.s3,
      bucket,
      Array.from({ length: ENTRIES }, (_, i) => ({ key: `${base}${pathOf(i)}`, body: contents(i) })),
    );

    const dir = exportDir();
    const res = await suite.api.call<{ exportId: string; jobId: string }>('POST', '/v1/exports', {
      json: {
        sources: { bucket, prefix: base },
        layout: { mode: 'strip', prefix: base },
        archiveName: 'many.zip',
        compression: 'store',
        target: { serverId: suite.server.id, directory: dir.relative },
      },
    });
    assert.equal(res.status, 202, res.text);
    const done = await withWorker(suite.deps, suite.taskQueue, () =>
      settledExport(suite.api, res.body.exportId, 600_000),
    );
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(done.entries, ENTRIES);
    assert.deepEqual(remoteListing(dir.local), ['many.zip'], 'one file, no temporary file left');

    const local = await fetchOverSftp(done.remotePath ?? '');
    try {
      assert.ok(await unzipTestOk(local), 'unzip -t accepts the archive');
      const read = await readArchive(local);
      assert.ok(read.zip64, 'the archive ends with ZIP64 end-of-central-directory records');
      assert.equal(Object.keys(read.entries).length, ENTRIES, 'zipfile counts every entry');
      for (let i = 0; i < ENTRIES; i++) {
        const entry = read.entries[pathOf(i)];
        assert.ok(entry, `${pathOf(i)} is in the archive`);
        if (i % WITH_CONTENTS === 0) assert.equal(entry.sha256, sha256(contents(i)), pathOf(i));
        else assert.equal(entry.size, 0, pathOf(i));
      }
    } finally {
      rmSync(local, { force: true });
    }

    // No event of the export's history carries the set (Temporal warns at 256 KiB per payload and fails at
    // 2 MiB; 65,536 paths would be over 1 MiB): every event stays small, however many entries.
    const history = await suite.deps.temporal.workflow.getHandle(res.body.jobId).fetchHistory();
    const largest = Math.max(
      ...(history.events ?? []).map((event) => Buffer.byteLength(historyToJSON({ events: [event] }))),
    );
    assert.ok(largest < 64 * 1024, `the largest event of the history is ${largest} bytes`);
  });
});
