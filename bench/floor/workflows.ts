/**
 * The Temporal part of a small file's transfer and nothing else: the shape
 * of `transferFile` for a file of one part (src/workflows/transfer.ts: the
 * progress query and signal handlers, one local activity, a result), with an
 * activity that does no work. Measures what one workflow per file version
 * costs on these cores before any byte moves.
 */
import { executeChild, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { progressQuery, transferProgressSignal, type Progress } from '../../src/workflows/contract';
import type { FloorActivities } from './activities';

const { nothing } = proxyLocalActivities<FloorActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 20 },
});

export async function emptyTransfer({ transferId }: { transferId: string }): Promise<{ transferId: string }> {
  const progress: Progress = { done: 0, total: null, phase: 'transferring' };
  setHandler(progressQuery, () => progress);
  setHandler(transferProgressSignal, ({ done, total }) => {
    progress.done = done;
    progress.total = total;
  });
  await nothing();
  progress.phase = 'completed';
  return { transferId };
}

const remote = proxyActivities<FloorActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 20 },
});

/**
 * The Temporal part of a handled event and nothing else: the shape of
 * `handleEvent` with one webhook route (src/workflows/event.ts: a local
 * activity to begin, the action as a child workflow running one activity, two
 * local activities to record and finish), with activities that do no work.
 */
export async function emptyEvent({ transferId }: { transferId: string }): Promise<{ transferId: string }> {
  await nothing();
  await executeChild(emptyForward, { workflowId: `${transferId}-forward`, args: [] });
  await nothing();
  await nothing();
  return { transferId };
}

export async function emptyForward(): Promise<Record<string, never>> {
  return await remote.nothing();
}
