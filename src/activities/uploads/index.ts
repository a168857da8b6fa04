import type { ActivityDeps } from '../deps';
import { createFinishActivities } from './finish';
import { createLifecycleActivities } from './lifecycle';
import { createPartsActivities } from './parts';
import { createPrepareActivities } from './prepare';
import { createVerifyActivities } from './verify';

/** Activities of the `uploadLifecycle` workflow (docs/uploads.md). */
export function createUploadActivities(deps: ActivityDeps) {
  return {
    ...createPrepareActivities(deps),
    ...createPartsActivities(deps),
    ...createVerifyActivities(deps),
    ...createFinishActivities(deps),
    ...createLifecycleActivities(deps),
  };
}
