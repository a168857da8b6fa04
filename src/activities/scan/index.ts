import type { ActivityDeps } from '../deps';
import { createListActivity } from './list';
import { createStartActivity } from './start';
import { createSweepActivity } from './sweep';

export type { ListingResult } from './list';
export type { StartPage, StartPageResult } from './start';

/** Activities of the per-server scan workflow (src/workflows/scan.ts). */
export function createScanActivities(deps: ActivityDeps) {
  return {
    listServerFiles: createListActivity(deps),
    startTransfers: createStartActivity(deps),
    sweepAbandonedTransfers: createSweepActivity(deps),
  };
}
