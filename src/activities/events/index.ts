import type { ActivityDeps } from '../deps';
import { createEventActions } from './actions';
import { createEventBookkeeping } from './bookkeeping';
import { createEventExport } from './export';

export type { ActionOutcome, PlannedAction } from './bookkeeping';

export function createEventActivities(deps: ActivityDeps) {
  return { ...createEventBookkeeping(deps), ...createEventActions(deps), ...createEventExport(deps) };
}
