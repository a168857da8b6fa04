import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import {
  FerryError,
  NotFoundError,
  ServiceUnavailableError,
  StorageFullError,
  TooManyRequestsError,
  ValidationError,
} from '../lib/errors';
import type { Logger } from '../lib/logger';
import { RetryableFailure } from '../workflows/failures';

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

/** Driver-adapter kinds (@prisma/adapter-pg) that mean the database could not be reached or dropped us. */
const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** Prisma's own codes for the same: can't reach, connection closed, pool timeout. */
const UNREACHABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);
/** SQLSTATE class 08 (connection exception) and the 57P0x shutdowns pg_terminate_backend and restarts cause. */
const UNREACHABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;
const UNREACHABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
/** What node-postgres says when the server goes away mid-query or a connection cannot be had in time. */
const UNREACHABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * The database (or its connection) went away: the request can be repeated, so it is a 503,
 * not a 500. Looks through the cause chain Prisma and its pg adapter wrap the driver's error in.
 */
export function databaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift() as
      | {
          kind?: unknown;
          code?: unknown;
          message?: unknown;
          cause?: unknown;
          meta?: { driverAdapterError?: unknown };
        }
      | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (typeof e.kind === 'string' && UNREACHABLE_KINDS.has(e.kind)) return true;
    if (e.kind === 'postgres' && typeof e.code === 'string' && UNREACHABLE_SQLSTATE.test(e.code)) return true;
    if (typeof e.code === 'string') {
      if (UNREACHABLE_PRISMA_CODES.has(e.code) || UNREACHABLE_SOCKET_CODES.has(e.code)) return true;
      if (UNREACHABLE_SQLSTATE.test(e.code)) return true;
    }
    if (typeof e.message === 'string' && UNREACHABLE_MESSAGE.test(e.message)) return true;
    queue.push(e.cause, e.meta?.driverAdapterError);
  }
  return false;
}

/** Object storage refused a write for want of space (lib/s3 classifies it): worth repeating later, not a 500. */
function storageFull(err: unknown): FerryError | undefined {
  const full = err instanceof ApplicationFailure && err.type === RetryableFailure.StorageFull;
  return full ? new StorageFullError() : undefined;
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError('route', `${req.method} ${req.path}`));
};

/** The one place where errors become HTTP answers. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known =
      err instanceof FerryError
        ? err
        : (clientErrorFromFramework(err) ??
          (databaseUnavailable(err)
            ? new ServiceUnavailableError('the database is unavailable; retry')
            : (unstorableText(err) ?? storageFull(err))));
    if (known instanceof ServiceUnavailableError) {
      log.warn({ err, method: req.method, path: req.path }, 'dependency unavailable');
      res.setHeader('retry-after', '1');
    }
    if (known instanceof StorageFullError) {
      log.warn({ err, method: req.method, path: req.path }, 'object storage is full');
      res.setHeader('retry-after', String(known.retryAfterSeconds));
    }
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
