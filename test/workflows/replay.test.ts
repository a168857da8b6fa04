import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { repoRoot } from '../helpers/paths';
import { quietRuntime, workflowBundle } from '../helpers/workflows';

/**
 * Histories recorded from real runs (test/histories/record.ts) replayed
 * against the current workflow code: a change that would break workflows
 * already running (a command added, removed or reordered without `patched()`)
 * fails here. No server is needed. Recorded as `temporal workflow show
 * --output json` prints them, plus the workflow ID.
 */
const historiesDir = path.join(repoRoot, 'test/histories');
const histories = readdirSync(historiesDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    name: file.replace(/\.json$/, ''),
    history: JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8')) as HistoryJson,
  }));

interface HistoryJson {
  /** Workflow code may read its own ID (scanServer does), so replay needs the recorded one. */
  workflowId: string;
  events: {
    eventType: string;
    workflowExecutionStartedEventAttributes?: { workflowType: { name: string } };
    markerRecordedEventAttributes?: {
      markerName: string;
      details: Record<string, { payloads: { data: string }[] }>;
    };
  }[];
}

/** The IDs of the patch markers a history holds. */
function patchIds(history: HistoryJson): string[] {
  return history.events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    return Object.values(marker.details).flatMap((d) =>
      d.payloads.map((p) => (JSON.parse(Buffer.from(p.data, 'base64').toString()) as { id: string }).id),
    );
  });
}

/** Every `patched('…')` ID in the workflow sources. */
function patchedInSources(): string[] {
  const dir = path.join(repoRoot, 'src/workflows');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/patched\('([^']+)'\)/g)])
    .map((m) => m[1] as string);
}

describe('recorded histories replay against the current workflow code', () => {
  for (const { name, history } of histories) {
    it(`replays ${name}`, async () => {
      quietRuntime();
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, history.workflowId);
    });
  }

  it('cover every workflow type', () => {
    const types = new Set(
      histories.map(
        ({ history }) => history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType.name,
      ),
    );
    for (const type of ['scanServer', 'transferFile', 'uploadLifecycle', 'pruneRecords'])
      assert.ok(types.has(type), type);
  });

  it('cover every patched() ID in src/workflows', () => {
    const recorded = new Set(histories.flatMap(({ history }) => patchIds(history)));
    const ids = patchedInSources();
    assert.ok(ids.length > 0, 'no patched() call found: the pattern no longer matches the sources');
    assert.deepEqual(
      ids.filter((id) => !recorded.has(id)),
      [],
    );
  });
});
