import express, { Router } from 'express';
import type { ApiDeps } from '../deps';
import { resourceId } from '../params';
import { parse } from '../validate';
import { presentExport } from './present';
import { createExportBody, idempotencyKeyHeader } from './schema';
import { cancelExport, createExport, findExport, liveProgress } from './service';

/** /v1/exports (docs/exports.md): parse → service → present. */
export function exportRoutes(deps: ApiDeps): Router {
  const router = Router();
  const json = express.json({ limit: '2mb' });

  router.post('/exports', json, async (req, res) => {
    const body = parse(createExportBody, req.body ?? {});
    const header = req.header('idempotency-key');
    const key =
      header === undefined ? undefined : parse(idempotencyKeyHeader, header, 'Idempotency-Key header');
    const created = await createExport(deps, body, key);
    res.status(202).location(`/v1/exports/${created.exportId}`).json(created);
  });

  router.get('/exports/:id', async (req, res) => {
    const row = await findExport(deps, resourceId(req.params.id, 'export'));
    const live = row.status === 'running' ? await liveProgress(deps, row.workflowId) : null;
    res.json(presentExport(row, live));
  });

  router.delete('/exports/:id', async (req, res) => {
    const { row, cancelRequested } = await cancelExport(deps, resourceId(req.params.id, 'export'));
    res
      .status(cancelRequested ? 202 : 200)
      .json({ exportId: row.id, jobId: row.workflowId, status: row.status, cancelRequested });
  });

  return router;
}
