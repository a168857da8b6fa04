import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { retentionSchedule, setSchedule } from '../../src/lib/schedules';
import {
  FerryKind,
  PRUNED_KINDS,
  workflowIds,
  type PruneKindInput,
  type PruneResult,
} from '../../src/workflows/contract';
import { waitFor } from '../helpers/wait';
import { taskQueueFor, useWorkflowEnv, withStubWorker } from '../helpers/workflows';

const { env } = useWorkflowEnv();

const required = { API_TOKENS: 't', FERRY_SECRET_KEY: Buffer.alloc(32).toString('base64') };

describe('pruneRecords and the retention schedule', () => {
  it('the schedule runs pruneRecords with the configured input, kinds in order; RETENTION_DAYS=0 removes it', async (t) => {
    const taskQueue = taskQueueFor(t.name);
    const config = (days: string, everySeconds = '600') =>
      loadConfig({
        ...required,
        TEMPORAL_TASK_QUEUE: taskQueue,
        RETENTION_DAYS: days,
        RETENTION_INTERVAL_SECONDS: everySeconds,
        RETENTION_BATCH_ROWS: '50',
      });
    const calls: PruneKindInput[] = [];
    const activities = {
      pruneKind: (input: PruneKindInput) => {
        calls.push(input);
        return { [input.kind]: calls.length };
      },
    };
    const client = env().client;
    const scheduleId = workflowIds.retention(taskQueue);
    const schedule = client.schedule.getHandle(scheduleId);

    await setSchedule(client, retentionSchedule(config('7', '900')));
    // Set again at the next start, with other settings: rewritten in place.
    await setSchedule(client, retentionSchedule(config('7')));
    const { spec, action } = await schedule.describe();
    assert.deepEqual(
      spec.intervals?.map((i) => i.every),
      [600_000],
    );
    assert.equal(action.workflowType, 'pruneRecords');
    assert.deepEqual(action.args, [{ retentionDays: 7, batchRows: 50 }]);

    const startedAt = Date.now();
    const run = await withStubWorker(env(), taskQueue, activities, async () => {
      await schedule.trigger();
      const taken = await waitFor(
        'the scheduled run',
        async () => (await schedule.describe()).info.recentActions[0],
      );
      const handle = client.workflow.getHandle(taken.action.workflow.workflowId);
      return { result: (await handle.result()) as PruneResult, description: await handle.describe() };
    });
    assert.equal(run.description.typedSearchAttributes.get(FerryKind), 'retention');
    assert.deepEqual(
      calls.map((c) => c.kind),
      [...PRUNED_KINDS],
    );
    assert.ok(calls.every((c) => c.batchRows === 50 && c.cutoff === run.result.cutoff));
    const cutoffAge = startedAt - Date.parse(run.result.cutoff);
    assert.ok(
      Math.abs(cutoffAge - 7 * 86_400_000) < 60_000,
      `cutoff ${run.result.cutoff}: 7 days before the run`,
    );
    assert.deepEqual(run.result.deleted, { transfers: 1, uploads: 2, events: 3, exports: 4, batches: 5 });

    await setSchedule(client, retentionSchedule(config('0')));
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);
    // Off and already gone: nothing to do.
    await setSchedule(client, retentionSchedule(config('0')));
  });
});
