import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import type { Logger } from '../lib/logger';
import { jobIdsOf, withLogContext } from '../lib/observability/log-context';
import { activityMetrics } from '../lib/observability/worker-metrics';

/**
 * Every activity runs inside a log context naming its workflow and the job
 * IDs its input carries, so each line any activity logs says which job it is
 * about (one place instead of every call site), and its duration and outcome
 * are counted.
 */
export class ObservedActivity implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly log: Logger,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    const { info } = this.ctx;
    const fields = {
      ...jobIdsOf(input.args[0]),
      ...(info.workflowExecution ? { workflowId: info.workflowExecution.workflowId } : {}),
    };
    return await withLogContext(fields, async () => {
      const stopTimer = activityMetrics.duration.startTimer({ activity: info.activityType });
      const ended = (outcome: string) => {
        const seconds = stopTimer({ outcome });
        this.log.debug(
          { activity: info.activityType, attempt: info.attempt, outcome, seconds },
          'activity ended',
        );
      };
      try {
        const result: unknown = await next(input);
        ended('completed');
        return result;
      } catch (err) {
        ended(this.ctx.cancellationSignal.aborted ? 'cancelled' : 'failed');
        throw err;
      }
    });
  }
}
