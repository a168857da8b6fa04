import type { ActivityDeps } from './deps';
import { createHealthActivities } from './health';

export type { ActivityDeps } from './deps';

/** The activity factory: every activity, built from injected clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
