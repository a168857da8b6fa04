import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ServiceUnavailableError } from '../lib/errors';

/** Temporal did not answer; the request can be repeated as is. */
export function temporalDown(err: unknown): never {
  throw new ServiceUnavailableError(`Temporal did not answer: ${(err as Error).message}`);
}

/** Whether the workflow runs; Temporal accepts a cancel for one that has closed, and nothing happens. */
export async function isRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    return temporalDown(err);
  }
}
