import express, { Router } from 'express';
import type { ApiDeps } from '../deps';
import { resourceId } from '../params';
import { parse } from '../validate';
import { presentRoute } from './present';
import { createRouteBody, patchRouteBody } from './schema';
import { createRoute, deleteRoute, findRoute, listRoutes, updateRoute } from './service';

/** /v1/routes (docs/events.md): which events start which work. */
export function eventRouteRoutes(deps: ApiDeps): Router {
  const router = Router();
  const json = express.json({ limit: '64kb' });

  router.post('/routes', json, async (req, res) => {
    const route = await createRoute(deps, parse(createRouteBody, req.body));
    deps.log.info({ routeId: route.id, name: route.name }, 'route created');
    res.status(201).location(`/v1/routes/${route.id}`).json(presentRoute(route));
  });

  router.get('/routes', async (_req, res) => {
    res.json({ routes: (await listRoutes(deps)).map(presentRoute) });
  });

  router.get('/routes/:id', async (req, res) => {
    res.json(presentRoute(await findRoute(deps, resourceId(req.params.id, 'route'))));
  });

  router.patch('/routes/:id', json, async (req, res) => {
    const id = resourceId(req.params.id, 'route');
    const route = await updateRoute(deps, id, parse(patchRouteBody, req.body));
    deps.log.info({ routeId: id, fields: Object.keys(req.body as object) }, 'route updated');
    res.json(presentRoute(route));
  });

  router.delete('/routes/:id', async (req, res) => {
    const id = resourceId(req.params.id, 'route');
    await deleteRoute(deps, id);
    deps.log.info({ routeId: id }, 'route deleted');
    res.status(204).end();
  });
  return router;
}
