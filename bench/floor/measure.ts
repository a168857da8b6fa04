import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { START_CONCURRENCY } from '../../src/activities/scan/start';
import type { TestDeps } from '../lib/deps';
import { startProcess } from '../lib/processes';
import { waitFor } from '../lib/wait';
import { cpuSeconds, servicePid } from '../lib/cpu';
import type { emptyTransfer } from './workflows';

export interface FloorFigures {
  seconds: number;
  workflowsPerSecond: number;
  /** CPU seconds over the run: the dev server, the floor worker, this process (which starts the workflows). */
  cpu: { temporal: number; worker: number; starter: number };
}

/**
 * `count` empty transfer (or event) workflows (bench/floor/workflows.ts) through the
 * same dev server, started `START_CONCURRENCY` at a time as the scan starts
 * transfers, run by a worker of Ferry's concurrency: the rate Temporal alone
 * allows one workflow per file version, on these cores, before any file work.
 * Completion is read from visibility, one count query every 100 ms, rather
 * than one long poll per workflow for its result (not measured against it).
 */
export async function measureTemporalFloor(
  deps: TestDeps,
  count: number,
  workflowType: 'emptyTransfer' | 'emptyEvent' = 'emptyTransfer',
): Promise<FloorFigures> {
  const taskQueue = `bench-floor-${randomUUID()}`;
  const worker = startProcess(process.execPath, ['--import', 'tsx', path.join(__dirname, 'worker.ts')], {
    ...process.env,
    FLOOR_TASK_QUEUE: taskQueue,
    FLOOR_ADDRESS: deps.config.TEMPORAL_ADDRESS,
    FLOOR_NAMESPACE: deps.config.TEMPORAL_NAMESPACE,
    FLOOR_ACTIVATION_TIMEOUT_MS: String(deps.config.WORKFLOW_ACTIVATION_TIMEOUT_MS),
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
  });
  try {
    await waitFor('floor worker', () => worker.output().includes('floor-worker-ready'), {
      timeoutMs: 120_000,
      intervalMs: 100,
    });
    const workerPid = worker.child.pid ?? 0;
    const temporalPid = servicePid('temporal');
    const before = {
      temporal: cpuSeconds(temporalPid),
      worker: cpuSeconds(workerPid),
      starter: starterCpu(),
    };
    const started = performance.now();
    for (let i = 0; i < count; i += START_CONCURRENCY) {
      const batch = Array.from({ length: Math.min(START_CONCURRENCY, count - i) }, (_, j) => i + j);
      await Promise.all(
        batch.map((n) =>
          deps.temporal.workflow.start<typeof emptyTransfer>(workflowType, {
            taskQueue,
            workflowId: `${taskQueue}-${n}`,
            args: [{ transferId: String(n) }],
          }),
        ),
      );
    }
    const query = `TaskQueue='${taskQueue}' AND ExecutionStatus='Completed' AND WorkflowType='${workflowType}'`;
    await waitFor(
      `${count} empty workflows`,
      async () => (await deps.temporal.workflow.count(query)).count >= count,
      {
        timeoutMs: 10 * 60_000,
        intervalMs: 100,
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = {
      temporal: cpuSeconds(temporalPid) - before.temporal,
      worker: cpuSeconds(workerPid) - before.worker,
      starter: starterCpu() - before.starter,
    };
    return { seconds, workflowsPerSecond: count / seconds, cpu };
  } finally {
    await worker.stop();
  }
}

function starterCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
