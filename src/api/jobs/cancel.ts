import { cancelBatch, findBatch } from '../batches/service';
import { NotFoundError } from '../../lib/errors';
import type { ApiDeps } from '../deps';
import { temporalUnavailable } from '../temporal';
import { cancelExport } from '../exports/service';
import { createTransferService } from '../transfers/service';
import { createUploadService } from '../uploads/service';
import type { JobKind } from './schema';

/** Each kind's cancellation, as its own resource's DELETE runs it; `refId` is the resource's ID. */
const cancellers: Record<JobKind, (deps: ApiDeps, refId: string) => Promise<unknown>> = {
  upload: (deps, id) => createUploadService(deps).cancel(id),
  transfer: (deps, id) => createTransferService(deps).cancel(id),
  export: (deps, id) => cancelExport(deps, id),
  async batch(deps, id) {
    return await cancelBatch(deps, await findBatch(deps, id));
  },
  // An event's workflow cancels the route actions it runs (its children) with it.
  async event(deps, id) {
    const event = await deps.db.event.findUnique({ where: { id }, select: { workflowId: true } });
    if (!event) throw new NotFoundError('event', id);
    await deps.temporal.workflow
      .getHandle(event.workflowId)
      .cancel()
      .catch((err: unknown) => {
        throw temporalUnavailable('Temporal did not take the cancel', err);
      });
  },
};

export async function cancelJobOfKind(deps: ApiDeps, kind: JobKind, refId: string): Promise<void> {
  await cancellers[kind](deps, refId);
}
