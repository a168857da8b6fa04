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
import { perTokenRateLimit } from './rate-limit';
import { ferryOpenApiDocument } from './openapi/operations';
import { openApiRoutes } from './openapi/routes';
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

  const { db, temporal, s3, log } = deps;
  app.use(healthRoutes({ db, temporal, s3, log, bucket: deps.config.FERRY_BUCKET }));

  // Public: the description of the API and a page to read it, no data (docs/api.md).
  app.use(openApiRoutes(ferryOpenApiDocument));
  app.use(codecRoutes(deps));
  app.use(uiRoutes(deps));

  const auth = requireBearer(deps.config.API_TOKENS);
  app.get('/metrics', auth, async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  // POST /v1/events checks its own tokens (per-source ones too), so it comes before the API's.
  app.use('/v1', eventIngestRoutes(deps));
  const v1: Router = express.Router();
  v1.use(auth, perTokenRateLimit(deps.config.API_RATE_LIMIT_PER_MINUTE));
  for (const mount of v1Routes(deps)) v1.use(mount);
  app.use('/v1', v1);

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}
