import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { EventToken } from '../config';
import { UnauthorizedError } from '../lib/errors';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Whether `given` is one of the tokens, by their SHA-256 digests: equal
 * lengths always, so neither the comparison nor an early length check tells
 * a caller how long a token is. Every token is compared, match or not.
 */
export function tokenMatcher(tokens: readonly string[]): (given: string) => boolean {
  const digests = tokens.map(digest);
  return (given) => {
    const d = digest(given);
    let found = false;
    for (const t of digests) found = timingSafeEqual(t, d) || found;
    return found;
  };
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/i.exec(header ?? '')?.[1]?.trim();
}

/** Bearer-token check for every /v1 route. */
export function requireBearer(tokens: readonly string[]): RequestHandler {
  const matches = tokenMatcher(tokens);
  return (req, _res, next) => {
    const given = bearerOf(req.header('authorization'));
    if (!given || !matches(given)) {
      next(new UnauthorizedError());
      return;
    }
    next();
  };
}

/**
 * The password of a Basic credential: Amazon SNS can only authenticate with
 * the user and password of the subscription URL
 * (`https://sns:<token>@ferry.example/v1/events`), sent after a 401 that asks
 * for Basic.
 */
function basicPasswordOf(header: string | undefined): string | undefined {
  const encoded = /^Basic (.+)$/i.exec(header ?? '')?.[1]?.trim();
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1) || undefined;
}

/**
 * POST /v1/events: an API token, or one of the per-source event tokens
 * (FERRY_EVENT_TOKENS), whose name is left in `res.locals.eventSource`. An
 * event token opens this one route and nothing else. Either may come as a
 * bearer token or as the password of Basic credentials (Amazon SNS).
 */
export function requireEventSender(
  apiTokens: readonly string[],
  eventTokens: readonly EventToken[],
): RequestHandler {
  const isApiToken = tokenMatcher(apiTokens);
  const senders = eventTokens.map((t) => ({ source: t.source, matches: tokenMatcher([t.token]) }));
  return (req, res, next) => {
    const header = req.header('authorization');
    const given = bearerOf(header) ?? basicPasswordOf(header);
    if (given && isApiToken(given)) {
      res.locals.eventSource = null;
      next();
      return;
    }
    const sender = given ? senders.find((t) => t.matches(given)) : undefined;
    if (!sender) {
      res.setHeader('WWW-Authenticate', 'Bearer, Basic realm="ferry-events"');
      next(new UnauthorizedError('a valid bearer token (API or event source token) is required'));
      return;
    }
    res.locals.eventSource = sender.source;
    next();
  };
}
