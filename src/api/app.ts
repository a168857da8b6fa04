import express, { type Express, type Router } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerJobGauges } from '../lib/observability/job-gauges';
import { requireBearer } from './auth';
import { requestLogContext } from './request-log';
import type { ApiDeps } from './deps';
import { codecRoutes } from './codec/routes';
import { errorHandler, notFoundRoute } from './errors';
import { eventIngestRoutes } from './events/routes';
import { bigintReplacer } from './json';
import { healthRoutes } from './health/routes';
import { uiRoutes } from './ui/routes';
import { v1Routes } from './routes';

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('json replacer', bigintReplacer);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'ferry_api_' });
  registerJobGauges(metrics, deps.db);

  app.use(requestLogContext(deps.log));

  app.use(
    healthRoutes({ db: deps.db, temporal: deps.temporal, s3: deps.s3, bucket: deps.config.FERRY_BUCKET }),
  );

  app.use(codecRoutes(deps));
  app.use(uiRoutes(deps));

  const auth = requireBearer(deps.config.API_TOKENS);
  app.get('/metrics', auth, async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  // POST /v1/events checks its own tokens (per-source ones too), so it comes before the API's.
  app.use('/v1', eventIngestRoutes(deps));
  const v1: Router = express.Router();
  v1.use(auth);
  for (const mount of v1Routes(deps)) v1.use(mount);
  app.use('/v1', v1);

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}
