import type { Router } from 'express';
import { batchRoutes } from '../batches/routes';
import type { ApiDeps } from '../deps';
import { eventRouteRoutes } from '../event-routes/routes';
import { eventRoutes } from '../events/routes';
import { exportRoutes } from '../exports/routes';
import { jobRoutes } from '../jobs/routes';
import { serverRoutes } from '../servers/routes';
import { transferRoutes } from '../transfers/routes';
import { uploadRoutes } from '../uploads/routes';

/**
 * Every /v1 router, one per resource. A resource lives in
 * src/api/<resource>/{routes,service,schema,present}.ts; add its router here.
 */
export function v1Routes(deps: ApiDeps): Router[] {
  return [
    serverRoutes(deps),
    transferRoutes(deps),
    uploadRoutes(deps),
    exportRoutes(deps),
    batchRoutes(deps),
    jobRoutes(deps),
    eventRoutes(deps),
    eventRouteRoutes(deps),
  ];
}
