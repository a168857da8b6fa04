import express, { Router } from 'express';
import { progressQuery } from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { idempotencyKeyHeader } from '../exports/schema';
import { resourceId } from '../params';
import { parse } from '../validate';
import { presentBatch } from './present';
import { batchExportsQuery, createBatchBody } from './schema';
import { cancelBatch, createBatch, findBatch } from './service';
import { batchExports, batchTotals, firstFailures } from './summary';

/** How long GET waits for the batch workflow's progress before answering from the rows alone. */
const QUERY_DEADLINE_MS = 1_000;

/** /v1/exports/batch and /v1/batches (docs/exports.md, "Batches"): parse → service → present. */
export function batchRoutes(deps: ApiDeps): Router {
  const router = Router();
  // Up to 10,000 exports of up to a few KiB each.
  const json = express.json({ limit: '32mb' });

  router.post('/exports/batch', json, async (req, res) => {
    const body = parse(createBatchBody, req.body ?? {});
    const header = req.header('idempotency-key');
    const key =
      header === undefined ? undefined : parse(idempotencyKeyHeader, header, 'Idempotency-Key header');
    const batch = await createBatch(deps, body, key);
    res.status(202).location(`/v1/batches/${batch.batchId}`).json(batch);
  });

  router.get('/batches/:id', async (req, res) => {
    const q = parse(batchExportsQuery, req.query, 'query');
    const batch = await findBatch(deps, resourceId(req.params.id, 'batch'));
    const [totals, failures, page] = await Promise.all([
      batchTotals(deps, batch),
      firstFailures(deps, batch),
      batchExports(deps, batch, q),
    ]);
    const live =
      batch.status === 'running'
        ? await deps.temporal
            .withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
              deps.temporal.workflow.getHandle(batch.workflowId).query(progressQuery),
            )
            .catch((err: unknown) => {
              deps.log.debug({ err, batchId: batch.id }, 'batch progress query unanswered');
              return null;
            })
        : null;
    res.json(presentBatch({ batch, totals, failures, page, live }));
  });

  router.delete('/batches/:id', async (req, res) => {
    const batch = await findBatch(deps, resourceId(req.params.id, 'batch'));
    const { cancelRequested } = await cancelBatch(deps, batch);
    res
      .status(cancelRequested ? 202 : 200)
      .json({ batchId: batch.id, jobId: batch.workflowId, status: batch.status, cancelRequested });
  });

  return router;
}
