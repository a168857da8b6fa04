import type { ErrorRequestHandler, RequestHandler } from 'express';
import { FerryError, NotFoundError, TooManyRequestsError } from '../lib/errors';
import type { Logger } from '../lib/logger';

/** Body shape of every error answer; a 4xx for anything wrong with the request. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Express's body parsers and others throw errors carrying a 4xx `status`. */
function clientErrorFromFramework(err: unknown): FerryError | undefined {
  const e = err as { status?: number; type?: string; message?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const code = e.type === 'entity.too.large' ? 'payload_too_large' : 'invalid_request';
    return new FerryError(code, e.status, e.message ?? 'bad request');
  }
  return undefined;
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError('route', `${req.method} ${req.path}`));
};

/** The one place where errors become HTTP answers. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof FerryError ? err : clientErrorFromFramework(err);
    if (known) {
      const body: ErrorBody = { error: { code: known.code, message: known.message } };
      if (known.details !== undefined) body.error.details = known.details;
      if (known instanceof TooManyRequestsError) res.setHeader('Retry-After', known.retryAfterSeconds);
      res.status(known.status).json(body);
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } } satisfies ErrorBody);
  };
}
