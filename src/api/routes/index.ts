import type { Router } from 'express';
import type { ApiDeps } from '../deps';

/** Every /v1 router, one per resource. Each file owns its paths. */
export function v1Routes(_deps: ApiDeps): Router[] {
  return [];
}
