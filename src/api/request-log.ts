import { AsyncResource } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import type { Logger } from '../lib/logger';
import { jobIdsOfPath, withLogContext } from '../lib/observability/log-context';

/**
 * Runs each request inside a log context naming the job its path is about
 * (`/v1/transfers/:id` → transferId, …), so every line a route, its service or
 * the error handler logs carries it; and logs each request served (debug).
 */
export function requestLogContext(log: Logger): RequestHandler {
  return (req, res, next) => {
    // Read now: a mounted router rewrites req.url while it handles the request.
    const { method, path } = req;
    withLogContext(jobIdsOfPath(path), () => {
      const started = performance.now();
      // Bound: 'finish' is emitted by the socket, outside the request's context.
      res.on(
        'finish',
        AsyncResource.bind(() =>
          log.debug(
            {
              method,
              path,
              status: res.statusCode,
              ms: Math.round(performance.now() - started),
            },
            'request served',
          ),
        ),
      );
      next();
    });
  };
}
