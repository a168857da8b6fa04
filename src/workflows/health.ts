import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { checkDependencies } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** `temporal workflow execute --type healthCheck` shows a worker is up and reaches its dependencies. */
export async function healthCheck(): Promise<{ database: 'ok'; objectStorage: 'ok' }> {
  return await checkDependencies();
}
