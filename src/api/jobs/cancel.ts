import { NotFoundError } from '../../lib/errors';
import type { ApiDeps } from '../deps';
import { cancelTransfer } from '../transfers/cancel';
import { cancelUpload } from '../uploads/cancel';
import type { JobKind } from './schema';

/** Each kind's cancellation, as its own resource's DELETE runs it; `refId` is the resource's ID. */
const cancellers: Record<JobKind, (deps: ApiDeps, refId: string) => Promise<unknown>> = {
  async upload(deps, id) {
    const upload = await deps.db.upload.findUnique({ where: { id } });
    if (!upload) throw new NotFoundError('upload', id);
    return await cancelUpload(deps, upload);
  },
  async transfer(deps, id) {
    const transfer = await deps.db.transfer.findUnique({ where: { id } });
    if (!transfer) throw new NotFoundError('transfer', id);
    return await cancelTransfer(deps, transfer);
  },
  export: () => Promise.reject(new Error('exports are not built yet')),
  batch: () => Promise.reject(new Error('batches are not built yet')),
};

export async function cancelJobOfKind(deps: ApiDeps, kind: JobKind, refId: string): Promise<void> {
  await cancellers[kind](deps, refId);
}
