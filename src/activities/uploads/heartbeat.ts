import { Context } from '@temporalio/activity';

/**
 * Runs `fn` while heartbeating every second, so a worker that dies is noticed
 * within the heartbeat timeout even during one long S3 call (a 5 GiB
 * UploadPartCopy), and cancellation reaches `fn` through the signal it gets.
 */
export async function whileHeartbeating<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  details?: () => unknown,
): Promise<T> {
  const ctx = Context.current();
  const beat = (): void => ctx.heartbeat(details?.());
  beat();
  const timer = setInterval(beat, 1000);
  try {
    return await fn(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
