import type { ActivityDeps } from './deps';
import { createEventActivities } from './events';
import { createExportBatchActivities } from './export-batch';
import { createExportActivities } from './exports';
import { createHealthActivities } from './health';
import { createRetentionActivities } from './retention';
import { createScanActivities } from './scan';
import { sftpConnections } from './sftp/connection-limit';
import { createTransferActivities } from './transfer';
import { createTransferBatchActivities } from './transfer-batch';
import { createUploadActivities } from './uploads';

export type { ActivityDeps } from './deps';

/** The activity factory: every activity, built from injected clients. */
export function createActivities(deps: ActivityDeps) {
  sftpConnections.configure(deps.config.SFTP_MAX_CONNECTIONS, deps.config.SFTP_MAX_CONNECTIONS_PER_SERVER);
  return {
    ...createHealthActivities(deps),
    ...createScanActivities(deps),
    ...createTransferActivities(deps),
    ...createTransferBatchActivities(deps),
    ...createUploadActivities(deps),
    ...createEventActivities(deps),
    ...createExportActivities(deps),
    ...createExportBatchActivities(deps),
    ...createRetentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
