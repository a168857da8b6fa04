import express, { Router, type Request } from 'express';
import type { ApiDeps } from '../deps';
import { resourceId } from '../params';
import { parse } from '../validate';
import { presentServer } from './present';
import { createServerService } from './service';
import { createServerBody, patchServerBody } from './schema';

/** /v1/servers: parse → service → present; the service keeps each row and its schedule consistent. */
export function serverRoutes(deps: ApiDeps): Router {
  const servers = createServerService(deps);
  const router = Router();
  const json = express.json({ limit: '64kb' });
  const serverId = (req: Request): string => resourceId(req.params.id, 'server');

  router.post('/servers', json, async (req, res) => {
    const server = await servers.create(parse(createServerBody, req.body));
    res.status(201).location(`/v1/servers/${server.id}`).json(presentServer(server));
  });

  router.get('/servers', async (_req, res) => {
    res.json({ servers: (await servers.list()).map(presentServer) });
  });

  router.get('/servers/:id', async (req, res) => {
    res.json(presentServer(await servers.get(serverId(req))));
  });

  router.patch('/servers/:id', json, async (req, res) => {
    // An unknown server is a 404 whatever the body.
    const { id } = await servers.get(serverId(req));
    const body = parse(patchServerBody, req.body);
    res.json(presentServer(await servers.update(id, body)));
  });

  router.delete('/servers/:id', async (req, res) => {
    await servers.remove(serverId(req));
    res.status(204).end();
  });

  router.post('/servers/:id/scan', async (req, res) => {
    res.status(202).json(await servers.scan(serverId(req)));
  });

  return router;
}
