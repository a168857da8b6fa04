import type { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Logger } from '../../lib/logger';
import { exportProgressSignal, type ExportProgress } from '../../workflows/contract';

/**
 * Heartbeats every second (with the step's resume hint) and signals progress
 * to the export's workflow at most every 2 s, so its progress query answers
 * without I/O while history grows by a bounded number of signals per minute.
 */
export class ExportReporter {
  private details: unknown;
  private pending: Partial<ExportProgress> | undefined;
  private readonly beat: NodeJS.Timeout;
  private readonly tick: NodeJS.Timeout;

  constructor(
    private readonly ctx: Context,
    private readonly temporal: Client,
    private readonly log: Logger,
  ) {
    ctx.heartbeat();
    this.beat = setInterval(() => this.ctx.heartbeat(this.details), 1000);
    this.tick = setInterval(() => void this.flush(), 2000);
  }

  /** Records progress; `details` is what a retry of the step resumes from. */
  update(progress: Partial<ExportProgress>, details?: unknown): void {
    // Sent by the once-a-second heartbeat: a call per chunk would cross into the SDK's core thousands of times a second.
    if (details !== undefined) this.details = details;
    this.pending = { ...this.pending, ...progress };
  }

  async stop(): Promise<void> {
    clearInterval(this.beat);
    clearInterval(this.tick);
    await this.flush();
  }

  private async flush(): Promise<void> {
    const update = this.pending;
    const workflowId = this.ctx.info.workflowExecution?.workflowId;
    if (!update || !workflowId) return;
    this.pending = undefined;
    try {
      await this.temporal.workflow.getHandle(workflowId).signal(exportProgressSignal, update);
    } catch (err) {
      // Progress is a nicety: the step goes on whether or not the signal landed.
      this.log.debug({ err, workflowId }, 'export progress signal not delivered');
    }
  }
}
