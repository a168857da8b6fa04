import { randomUUID } from 'node:crypto';
import type { Batch, Prisma } from '../../generated/prisma/client';
import { closeBatch } from '../../lib/batch-store';
import { isUniqueViolation } from '../../lib/db';
import { ConflictError, NotFoundError } from '../../lib/errors';
import {
  bucketSearchable,
  searchBucket,
  ferrySearchAttributes,
  WorkflowType,
  workflowIds,
  type BatchInput,
} from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { idempotencyKeyOf } from '../idempotency';
import { isWorkflowRunning, temporalUnavailable } from '../temporal';
import { prepareBatchExports } from './inputs';
import type { CreateBatchBody } from './schema';

export interface CreatedBatch {
  batchId: string;
  jobId: string;
  status: Batch['status'];
  total: number;
  concurrency: number;
}

const created = (b: Batch): CreatedBatch => ({
  batchId: b.id,
  jobId: b.workflowId,
  status: b.status,
  total: b.total,
  concurrency: b.concurrency,
});

/**
 * How long the transaction that records a batch may stay open. The batch's
 * workflow waits longer than this for the batch to appear (workflows/batch.ts),
 * so it never gives up on a batch that is still going to be committed.
 */
const RECORD_TIMEOUT_MS = 60_000;

/**
 * Accepts a batch (docs/exports.md, "Batches"). The batch, its exports and
 * their validator secrets are written and its workflow started in one
 * transaction, the start last: an API dying before the commit leaves no row
 * (the workflow, finding none, ends), and a committed batch always has its
 * workflow. Nothing is ever queued that nothing will run.
 */
export async function createBatch(
  deps: ApiDeps,
  body: CreateBatchBody,
  idempotencyKey?: string,
): Promise<CreatedBatch> {
  const { config, db, temporal, log } = deps;
  const key = idempotencyKeyOf(idempotencyKey, body.clientRequestId);
  const repeat = key === undefined ? null : await db.batch.findUnique({ where: { clientRequestId: key } });
  if (repeat) return created(repeat);

  const exports = await prepareBatchExports(deps, body.exports);
  const batchId = randomUUID();
  const workflowId = workflowIds.exportBatch(batchId);
  const buckets = new Set(exports.map((e) => e.input.sources.bucket));
  // A batch over one bucket carries it; one over several carries none (each export does).
  const onlyBucket = buckets.size === 1 ? [...buckets][0] : undefined;
  const input: BatchInput = {
    batchId,
    exportsPerRun: config.BATCH_EXPORTS_PER_RUN,
    labelBuckets: bucketSearchable(config),
  };
  try {
    const batch = await db.$transaction(
      async (tx) => {
        const row = await tx.batch.create({
          data: {
            id: batchId,
            workflowId,
            concurrency: body.concurrency,
            total: exports.length,
            clientRequestId: key ?? null,
          },
        });
        await tx.batchItem.createMany({
          data: exports.map((e, index) => ({
            batchId,
            index,
            exportId: e.input.exportId,
            input: e.input as unknown as Prisma.InputJsonValue,
          })),
        });
        const secrets = exports.flatMap((e) =>
          e.validatorSecretEnc
            ? [{ exportId: e.input.exportId, validatorSecretEnc: e.validatorSecretEnc }]
            : [],
        );
        if (secrets.length) await tx.exportSecret.createMany({ data: secrets });
        await temporal.workflow
          .start(WorkflowType.exportBatch, {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId,
            args: [input],
            typedSearchAttributes: ferrySearchAttributes({
              kind: 'batch',
              bucket: searchBucket(config, onlyBucket),
            }),
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          })
          .catch((err: unknown) => {
            throw temporalUnavailable('could not start the batch workflow', err);
          });
        return row;
      },
      { timeout: RECORD_TIMEOUT_MS },
    );
    log.info({ batchId, workflowId, total: exports.length }, 'batch accepted');
    return created(batch);
  } catch (err) {
    // The same key in two requests at once: the other one's batch is the answer.
    if (key !== undefined && isUniqueViolation(err)) {
      const other = await db.batch.findUnique({ where: { clientRequestId: key } });
      if (other) return created(other);
    }
    throw err;
  }
}

export async function findBatch({ db }: ApiDeps, batchId: string): Promise<Batch> {
  const batch = await db.batch.findUnique({ where: { id: batchId } });
  if (!batch) throw new NotFoundError('batch', batchId);
  return batch;
}

/**
 * Cancels a batch: its workflow cancels the running exports, waits for them
 * to clean up, starts no more and closes the row. A batch whose workflow is
 * gone (terminated) is closed here; its running exports were cancelled by
 * Temporal (their parent close policy).
 */
export async function cancelBatch(deps: ApiDeps, batch: Batch): Promise<{ cancelRequested: boolean }> {
  if (batch.status === 'cancelled') return { cancelRequested: false };
  if (batch.status === 'completed' || batch.status === 'failed') {
    throw new ConflictError(`batch ${batch.id} is ${batch.status}; there is nothing to cancel`);
  }
  const handle = deps.temporal.workflow.getHandle(batch.workflowId);
  if (await isWorkflowRunning(handle)) {
    await handle.cancel().catch((err: unknown) => {
      throw temporalUnavailable('could not cancel the batch workflow', err);
    });
  } else {
    await closeBatch(deps.db, batch.id, 'cancelled', 'cancelled');
  }
  deps.log.info({ batchId: batch.id }, 'batch cancellation requested');
  return { cancelRequested: true };
}
