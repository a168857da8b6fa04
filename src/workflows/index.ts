// Every workflow the worker registers. Deterministic code only (lint enforces it).
export { healthCheck } from './health';
export { uploadLifecycle } from './upload';
export { scanServer } from './scan';
export { transferFile } from './transfer';
export { transferBatch } from './transfer-batch';
export { handleEvent, forwardEvent, sweepEvents } from './event';
export { exportArchive, exportStagingCleanup } from './export';
export { exportBatch } from './export-batch';
export { pruneRecords } from './retention';
