import type { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Logger } from '../../lib/logger';
import { transferProgressSignal } from '../../workflows/contract';

/**
 * Keeps Temporal informed while a transfer runs:
 * - heartbeats every second with the latest checkpoint (the SDK throttles
 *   them; they carry cancellation back to the activity, and the checkpoint is
 *   a resume hint), for as long as the activity runs;
 * - signals bytes done to the workflow, so its `progress` query can answer.
 *   Signals go into workflow history, so they are throttled to whole percents
 *   (at least 2 s apart) or one a minute: a transfer sends at most ~100 plus
 *   one per minute, whatever its size.
 */
export class ProgressReporter {
  private details: unknown;
  private readonly timer: NodeJS.Timeout | undefined;
  private lastSignalAt = 0;
  private lastSignalled = -1;

  constructor(
    private readonly ctx: Context,
    private readonly temporal: Client,
    private readonly log: Logger,
    private readonly total: number,
  ) {
    // A local activity has no heartbeats (it runs inside a workflow task), and is short anyway.
    this.timer = ctx.info.isLocal ? undefined : setInterval(() => this.ctx.heartbeat(this.details), 1_000);
  }

  /** Records how far the transfer got: heartbeat details now, a signal when due. */
  update(done: number, details?: unknown): void {
    if (details !== undefined) this.details = details;
    if (!this.ctx.info.isLocal) this.ctx.heartbeat(this.details);
    const now = Date.now();
    const elapsed = now - this.lastSignalAt;
    const percentMoved = done - this.lastSignalled >= this.total / 100;
    const due =
      done === this.total ||
      (percentMoved && elapsed >= 2_000) ||
      (done > this.lastSignalled && elapsed >= 60_000);
    if (!due || done === this.lastSignalled) return;
    this.lastSignalAt = now;
    this.lastSignalled = done;
    void this.signal(done);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async signal(done: number): Promise<void> {
    const workflowId = this.ctx.info.workflowExecution?.workflowId;
    if (!workflowId) return;
    try {
      await this.temporal.workflow
        .getHandle(workflowId)
        .signal(transferProgressSignal, { done, total: this.total });
    } catch (err) {
      // Progress is informational: a lost signal only makes the query lag.
      this.log.warn({ err, workflowId }, 'could not signal transfer progress');
    }
  }
}
