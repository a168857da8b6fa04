import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { FerryError, NotFoundError, TooManyRequestsError, ValidationError } from '../lib/errors';
import type { Logger } from '../lib/logger';

/** Body shape of every error answer (a 4xx for anything wrong with the request); /openapi.json shows it. */
export const errorBody = z.strictObject({
  error: z.strictObject({
    code: z.string().meta({ example: 'invalid_request' }),
    message: z.string(),
    /** For a 400: the fields at fault, `[{path, message}]`. */
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBody>;

/** Express's body parsers and others throw errors carrying a 4xx `status`. */
function clientErrorFromFramework(err: unknown): FerryError | undefined {
  const e = err as { status?: number; type?: string; message?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const code = e.type === 'entity.too.large' ? 'payload_too_large' : 'invalid_request';
    return new FerryError(code, e.status, e.message ?? 'bad request');
  }
  return undefined;
}

/**
 * PostgreSQL refuses text it cannot store: a NUL character (22P05 in jsonb,
 * 22021 in text) or an unpaired UTF-16 surrogate in JSON (22P02). Only a
 * request's own text gets there (a JSON body may carry both), so it is the
 * request's fault, whichever field it was in.
 */
const UNSTORABLE_TEXT = new Set(['22P05', '22021', '22P02']);

function unstorableText(err: unknown): FerryError | undefined {
  const e = err as {
    name?: string;
    meta?: { driverAdapterError?: { cause?: { originalCode?: string } } };
  };
  const code =
    e?.name === 'PrismaClientKnownRequestError' ? e.meta?.driverAdapterError?.cause?.originalCode : undefined;
  if (code === undefined || !UNSTORABLE_TEXT.has(code)) return undefined;
  return new ValidationError(
    'the request holds text that cannot be stored (a NUL character or an unpaired surrogate)',
  );
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError('route', `${req.method} ${req.path}`));
};

/** The one place where errors become HTTP answers. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof FerryError ? err : (clientErrorFromFramework(err) ?? unstorableText(err));
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
