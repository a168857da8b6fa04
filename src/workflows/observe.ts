// A workflow interceptor module (bundled with the workflows): it tells the
// worker how each job ended, through a sink, so that the job metrics are
// counted in one place for every kind. Sinks add no commands to the history.
import {
  ContinueAsNew,
  isCancellation,
  proxySinks,
  type Next,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

export type JobOutcome = 'completed' | 'skipped' | 'failed' | 'cancelled';

export interface JobSinks extends Sinks {
  jobs: {
    /** The job ended; `bytes` is the size of the file a transfer stored or skipped. */
    ended(outcome: JobOutcome, bytes?: number): void;
  };
}

const { jobs } = proxySinks<JobSinks>();

/** A result's own `status` (a transfer's completed or skipped) refines "completed". */
function endingOf(result: unknown): { outcome: JobOutcome; bytes?: number } {
  if (typeof result !== 'object' || result === null) return { outcome: 'completed' };
  const { status, size } = result as { status?: unknown; size?: unknown };
  const outcome = status === 'skipped' ? 'skipped' : 'completed';
  return typeof size === 'number' ? { outcome, bytes: size } : { outcome };
}

class ObservedWorkflow implements WorkflowInboundCallsInterceptor {
  async execute(
    input: WorkflowExecuteInput,
    next: Next<WorkflowInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    try {
      const result = await next(input);
      const { outcome, bytes } = endingOf(result);
      jobs.ended(outcome, bytes);
      return result;
    } catch (err) {
      // Continue-as-new is not an end: the next run reports it.
      if (!(err instanceof ContinueAsNew)) jobs.ended(isCancellation(err) ? 'cancelled' : 'failed');
      throw err;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new ObservedWorkflow()] });
