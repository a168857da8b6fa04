import { NotFoundError } from '../../lib/errors';
import { cancelBatch, findBatch } from '../batches/service';
import type { ApiDeps } from '../deps';
import { cancelExport } from '../exports/service';
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
  export: (deps, id) => cancelExport(deps, id),
  async batch(deps, id) {
    return await cancelBatch(deps, await findBatch(deps, id));
  },
};

export async function cancelJobOfKind(deps: ApiDeps, kind: JobKind, refId: string): Promise<void> {
  await cancellers[kind](deps, refId);
}
