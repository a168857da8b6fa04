import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ServiceUnavailableError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { progressQuery, type Progress } from '../workflows/contract';

/** Temporal did not do what was asked; the request can be repeated as is (503). */
export function temporalUnavailable(what: string, err: unknown): ServiceUnavailableError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ServiceUnavailableError(`${what}: ${reason}`);
}

/**
 * A running workflow's own progress, or undefined when no worker answers the
 * query within `deadlineMs`: progress is a nicety, and a busy or absent worker
 * must not hold the request (the caller answers from the database row).
 */
export async function liveProgress(
  temporal: Client,
  log: Logger,
  workflowId: string,
  deadlineMs: number,
): Promise<Progress | undefined> {
  try {
    return await temporal.withDeadline(Date.now() + deadlineMs, () =>
      temporal.workflow.getHandle(workflowId).query(progressQuery),
    );
  } catch (err) {
    log.debug({ err, workflowId }, 'progress query unanswered; answering from the database row');
    return undefined;
  }
}

/** Whether the workflow runs; Temporal accepts a cancel for one that has closed, and nothing happens. */
export async function isWorkflowRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw temporalUnavailable('Temporal did not answer', err);
  }
}
