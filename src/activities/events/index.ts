import type { ActivityDeps } from '../deps';
import { createEventActions } from './actions';
import { createEventBookkeeping } from './bookkeeping';
import { createEventExport } from './export';
import { createEventSweep } from './sweep';

export type { ActionOutcome, PlannedAction } from './bookkeeping';

export function createEventActivities(deps: ActivityDeps) {
  return {
    ...createEventBookkeeping(deps),
    ...createEventActions(deps),
    ...createEventExport(deps),
    ...createEventSweep(deps),
  };
}
