import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { TooManyRequestsError } from '../lib/errors';
import { bearerOf } from './auth';

const WINDOW_MS = 60_000;

/**
 * At most `perMinute` requests per API token in each minute (API_RATE_LIMIT_PER_MINUTE),
 * counted in this API process. Runs after the token check: the key is the
 * token's SHA-256, so the token itself is never kept. Beyond the limit: 429
 * with Retry-After, in the API's error shape.
 */
export function perTokenRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Keyed by token, not by address: express-rate-limit's address checks do not apply.
    validate: false,
    keyGenerator: (req) =>
      createHash('sha256')
        .update(bearerOf(req.header('authorization')) ?? '')
        .digest('hex'),
    handler: (req, _res, next) => {
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(
        1,
        Math.ceil(((resetTime?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000),
      );
      next(new TooManyRequestsError(`more than ${perMinute} requests in a minute with this token`, seconds));
    },
  });
}
