import type { Router } from 'express';
import type { ApiDeps } from '../deps';
import { serverRoutes } from '../servers/routes';
import { transferRoutes } from '../transfers/routes';
import { uploadRoutes } from '../uploads/routes';

/**
 * Every /v1 router, one per resource. A resource lives in
 * src/api/<resource>/{routes,service,schema,present}.ts; add its router here.
 */
export function v1Routes(deps: ApiDeps): Router[] {
  return [serverRoutes(deps), transferRoutes(deps), uploadRoutes(deps)];
}
