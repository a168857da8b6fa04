import type { Router } from 'express';
import type { ApiDeps } from '../deps';
import { eventRouteRoutes } from '../event-routes/routes';
import { eventRoutes } from '../events/routes';
import { exportRoutes } from '../exports/routes';
import { serverRoutes } from './servers';
import { transferRoutes } from './transfers';
import { uploadRoutes } from './uploads';

/** Every /v1 router, one per resource. Each file owns its paths. */
export function v1Routes(deps: ApiDeps): Router[] {
  return [
    serverRoutes(deps),
    transferRoutes(deps),
    uploadRoutes(deps),
    eventRoutes(deps),
    eventRouteRoutes(deps),
    exportRoutes(deps),
  ];
}
