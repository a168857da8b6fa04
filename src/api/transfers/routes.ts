import { Router, type Request } from 'express';
import type { ApiDeps } from '../deps';
import { resourceId } from '../params';
import { parse } from '../validate';
import { decodeCursor } from './cursor';
import { presentTransfer, presentTransferAction, presentTransferPage } from './present';
import { listQuery } from './schema';
import { createTransferService } from './service';

/** /v1/transfers: parse → service → present. */
export function transferRoutes(deps: ApiDeps): Router {
  const transfers = createTransferService(deps);
  const router = Router();
  const transferId = (req: Request): string => resourceId(req.params.id, 'transfer');

  router.get('/transfers', async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    res.json(presentTransferPage(await transfers.list(q, after)));
  });

  router.get('/transfers/:id', async (req, res) => {
    const { transfer, live } = await transfers.describe(transferId(req));
    res.json(presentTransfer(transfer, live));
  });

  router.post('/transfers/:id/retry', async (req, res) => {
    res.status(202).json(presentTransferAction(await transfers.retry(transferId(req)), 'discovered'));
  });

  router.delete('/transfers/:id', async (req, res) => {
    res.status(202).json(presentTransferAction(await transfers.cancel(transferId(req)), 'cancelling'));
  });

  return router;
}
