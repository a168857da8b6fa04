import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../lib/errors';

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Bearer-token check for every /v1 route. */
export function requireBearer(tokens: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/i.exec(req.header('authorization') ?? '');
    const given = match?.[1]?.trim();
    if (!given || !tokens.some((t) => safeEqual(t, given))) {
      next(new UnauthorizedError());
      return;
    }
    next();
  };
}
