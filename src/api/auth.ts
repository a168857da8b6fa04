import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { EventToken } from '../config';
import { UnauthorizedError } from '../lib/errors';

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/i.exec(header ?? '')?.[1]?.trim();
}

/** Bearer-token check for every /v1 route. */
export function requireBearer(tokens: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const given = bearerOf(req.header('authorization'));
    if (!given || !tokens.some((t) => safeEqual(t, given))) {
      next(new UnauthorizedError());
      return;
    }
    next();
  };
}

/**
 * POST /v1/events: an API token, or one of the per-source event tokens
 * (FERRY_EVENT_TOKENS), whose name is left in `res.locals.eventSource`. An
 * event token opens this one route and nothing else.
 */
export function requireEventSender(
  apiTokens: readonly string[],
  eventTokens: readonly EventToken[],
): RequestHandler {
  return (req, res, next) => {
    const given = bearerOf(req.header('authorization'));
    if (given && apiTokens.some((t) => safeEqual(t, given))) {
      res.locals.eventSource = null;
      next();
      return;
    }
    const sender = given ? eventTokens.find((t) => safeEqual(t.token, given)) : undefined;
    if (!sender) {
      next(new UnauthorizedError('a valid bearer token (API or event source token) is required'));
      return;
    }
    res.locals.eventSource = sender.source;
    next();
  };
}
