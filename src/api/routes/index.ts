import type { Router } from 'express';
import { batchRoutes } from '../batches/routes';
import type { ApiDeps } from '../deps';
import { exportRoutes } from '../exports/routes';
import { jobRoutes } from '../jobs/routes';
import { serverRoutes } from './servers';
import { transferRoutes } from './transfers';
import { uploadRoutes } from './uploads';

/** Every /v1 router, one per resource. Each file owns its paths. */
export function v1Routes(deps: ApiDeps): Router[] {
  return [
    serverRoutes(deps),
    transferRoutes(deps),
    uploadRoutes(deps),
    exportRoutes(deps),
    batchRoutes(deps),
    jobRoutes(deps),
  ];
}
