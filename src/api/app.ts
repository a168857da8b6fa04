import express, { type Express, type Router } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { requireBearer } from './auth';
import type { ApiDeps } from './deps';
import { codecRoutes } from './codec/routes';
import { errorHandler, notFoundRoute } from './errors';
import { bigintReplacer } from './json';
import { healthRoutes } from './health/routes';
import { v1Routes } from './routes';

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('json replacer', bigintReplacer);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'ferry_api_' });

  app.use(
    healthRoutes({ db: deps.db, temporal: deps.temporal, s3: deps.s3, bucket: deps.config.FERRY_BUCKET }),
  );

  app.use(codecRoutes(deps));

  const auth = requireBearer(deps.config.API_TOKENS);
  app.get('/metrics', auth, async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  const v1: Router = express.Router();
  v1.use(auth);
  for (const mount of v1Routes(deps)) v1.use(mount);
  app.use('/v1', v1);

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}
