import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ferrySearchAttributes, type EventInput } from '../workflows/contract';

/**
 * Starts the `handleEvent` workflow of one stored event. Its ID comes from the
 * event's identity, so concurrent or repeated deliveries start one execution
 * (USE_EXISTING while it runs); once it has closed it never runs again
 * (REJECT_DUPLICATE), whatever redeliveries arrive later.
 */
export async function startEventWorkflow(
  client: Client,
  taskQueue: string,
  row: { id: string; workflowId: string },
): Promise<void> {
  const input: EventInput = { eventId: row.id };
  try {
    await client.workflow.start('handleEvent', {
      taskQueue,
      workflowId: row.workflowId,
      args: [input],
      typedSearchAttributes: ferrySearchAttributes({ kind: 'event' }),
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}
