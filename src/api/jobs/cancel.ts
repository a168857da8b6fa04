import { cancelBatch, findBatch } from '../batches/service';
import type { ApiDeps } from '../deps';
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
};

export async function cancelJobOfKind(deps: ApiDeps, kind: JobKind, refId: string): Promise<void> {
  await cancellers[kind](deps, refId);
}
