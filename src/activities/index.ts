import type { ActivityDeps } from './deps';
import { createEventActivities } from './events';
import { createExportBatchActivities } from './export-batch';
import { createExportActivities } from './exports';
import { createHealthActivities } from './health';
import { createScanActivities } from './scan';
import { createTransferActivities } from './transfer';
import { createTransferBatchActivities } from './transfer-batch';
import { createUploadActivities } from './uploads';

export type { ActivityDeps } from './deps';

/** The activity factory: every activity, built from injected clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
    ...createScanActivities(deps),
    ...createTransferActivities(deps),
    ...createTransferBatchActivities(deps),
    ...createUploadActivities(deps),
    ...createEventActivities(deps),
    ...createExportActivities(deps),
    ...createExportBatchActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
