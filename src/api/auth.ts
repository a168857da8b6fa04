import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
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

/** Bearer-token check for every /v1 route. */
export function requireBearer(tokens: readonly string[]): RequestHandler {
  const matches = tokenMatcher(tokens);
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/i.exec(req.header('authorization') ?? '');
    const given = match?.[1]?.trim();
    if (!given || !matches(given)) {
      next(new UnauthorizedError());
      return;
    }
    next();
  };
}
