import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  batchParts,
  isCopyPart,
  MIN_PART_BYTES,
  planParts,
  type ManifestChunk,
  type PlannedPart,
} from '../../src/activities/uploads/plan';
import { MiB } from '../../src/lib/units';

const manifest = (...sizes: number[]): ManifestChunk[] =>
  sizes.map((size, index) => ({ index, size, stagingKey: `k${index}` }));

/** Part shapes as [kind, size in bytes]. */
const shape = (parts: PlannedPart[]) => parts.map((p) => [isCopyPart(p) ? 'copy' : 'coalesce', p.size]);

/** Every byte of every chunk exactly once, in order; every part but the last at least 5 MiB. */
function assertValid(chunks: ManifestChunk[], parts: PlannedPart[]): void {
  const flat = parts.flatMap((p) => p.segments);
  let cursor = { key: '', end: 0 };
  for (const s of flat) {
    if (s.stagingKey === cursor.key) assert.equal(s.start, cursor.end, 'segments of a chunk are contiguous');
    else assert.equal(s.start, 0, 'a chunk is read from its start');
    cursor = { key: s.stagingKey, end: s.end };
  }
  const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);
  assert.equal(sum(parts.map((p) => p.size)), sum(chunks.map((c) => c.size)));
  for (const p of parts) assert.equal(p.size, sum(p.segments.map((s) => s.end - s.start)));
  parts.slice(0, -1).forEach((p) => assert.ok(p.size >= MIN_PART_BYTES, `part ${p.partNumber} is ${p.size}`));
  assert.deepEqual(
    parts.map((p) => p.partNumber),
    parts.map((_, i) => i + 1),
  );
}

describe('upload assembly plan', () => {
  it('plans nothing for an empty file, or one of empty chunks', () => {
    assert.deepEqual(planParts([]), []);
    assert.deepEqual(planParts(manifest(0, 0)), []);
  });

  it('copies a lone small chunk: the last part may be small', () => {
    assert.deepEqual(shape(planParts(manifest(1))), [['copy', 1]]);
  });

  it('copies chunks of 5 MiB and more, and a small final chunk after them', () => {
    const parts = planParts(manifest(5 * MiB, 1));
    assert.deepEqual(shape(parts), [
      ['copy', 5 * MiB],
      ['copy', 1],
    ]);
    assert.equal(parts[0]?.segments[0]?.whole, true);
  });

  it('coalesces small chunks into parts of 16 MiB', () => {
    const chunks = manifest(...Array<number>(40).fill(MiB));
    const parts = planParts(chunks);
    assert.deepEqual(shape(parts), [
      ['coalesce', 16 * MiB],
      ['coalesce', 16 * MiB],
      ['coalesce', 8 * MiB],
    ]);
    assertValid(chunks, parts);
  });

  it('tops a small run up with the head of a big chunk and copies the rest by range', () => {
    const chunks = manifest(MiB, 2 * MiB, 12 * MiB, 3 * MiB);
    const parts = planParts(chunks);
    assert.deepEqual(shape(parts), [
      ['coalesce', 5 * MiB],
      ['copy', 10 * MiB],
      ['copy', 3 * MiB],
    ]);
    assert.deepEqual(parts[1]?.segments, [{ stagingKey: 'k2', start: 2 * MiB, end: 12 * MiB, whole: false }]);
    assertValid(chunks, parts);
  });

  it('takes a big chunk whole into the run when its rest would be too small to copy', () => {
    assert.deepEqual(shape(planParts(manifest(3 * MiB, 6 * MiB))), [['coalesce', 9 * MiB]]);
    assert.deepEqual(shape(planParts(manifest(3 * MiB, 7 * MiB))), [
      ['coalesce', 5 * MiB],
      ['copy', 5 * MiB],
    ]);
  });

  it('keeps every invariant for random manifests', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const sizes = Array.from({ length: 1 + (next() % 30) }, () => {
        const r = next() % 4;
        return r === 0
          ? 0
          : r === 1
            ? next() % (5 * MiB)
            : r === 2
              ? 5 * MiB + (next() % (20 * MiB))
              : 1 + (next() % 1000);
      });
      const chunks = manifest(...sizes);
      assertValid(chunks, planParts(chunks));
    }
  });

  it('groups parts into at most about 100 batches covering every part once', () => {
    const parts = planParts(manifest(...Array<number>(10_000).fill(MiB)));
    const batches = batchParts(parts);
    assert.ok(batches.length <= 101, `${batches.length} batches`);
    assert.equal(batches[0]?.firstPart, 1);
    assert.equal(batches.at(-1)?.lastPart, parts.length);
    batches.slice(1).forEach((b, i) => assert.equal(b.firstPart, (batches[i]?.lastPart ?? 0) + 1));
    assert.equal(
      batches.reduce((n, b) => n + b.bytes, 0),
      10_000 * MiB,
    );
    assert.deepEqual(batchParts(planParts(manifest(64 * MiB, 64 * MiB))), [
      { firstPart: 1, lastPart: 1, bytes: 64 * MiB },
      { firstPart: 2, lastPart: 2, bytes: 64 * MiB },
    ]);
  });
});
