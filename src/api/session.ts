import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';

/** The status page's session cookie. */
export const SESSION_COOKIE = 'ferry_session';
/** How long a login lasts. */
const SESSION_MS = 12 * 60 * 60 * 1000;

/**
 * A session is `<expiry>.<HMAC-SHA256 of the expiry, keyed by the API token
 * that logged in>`: the browser never holds the token itself, a session
 * cannot be extended by editing its expiry, and it ends as soon as its token
 * is removed from API_TOKENS (no server-side store to clean up).
 */
function sign(token: string, expiresAt: number): Buffer {
  return createHmac('sha256', token).update(`ferry-ui-session:${expiresAt}`).digest();
}

export function newSession(token: string, now = Date.now()): { value: string; expiresAt: Date } {
  const expiresAt = now + SESSION_MS;
  return {
    value: `${expiresAt}.${sign(token, expiresAt).toString('base64url')}`,
    expiresAt: new Date(expiresAt),
  };
}

/** Whether `value` is an unexpired session of one of `tokens`. Every token is tried, match or not. */
export function isSession(tokens: readonly string[], value: string, now = Date.now()): boolean {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return false;
  const expiresAt = Number(match[1]);
  const given = Buffer.from(match[2] as string, 'base64url');
  let found = false;
  for (const token of tokens) found = timingSafeEqual(sign(token, expiresAt), given) || found;
  return found && expiresAt > now;
}

export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's form or
 * link sends it: with POST-only changes, that is the CSRF defence), Secure
 * when the request came over HTTPS. Path=/ because the Web UI's codec calls
 * to /codec carry it too (same site: only the port differs); only /ui and
 * /codec accept it, every /v1 route wants the bearer token.
 */
export function setSessionCookie(req: Request, res: Response, value: string, expires: Date): void {
  res.cookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure,
    path: '/',
    expires,
  });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
}

/** Whether the request carries a valid session cookie. */
export function hasSession(tokens: readonly string[], req: Request): boolean {
  const value = cookieOf(req, SESSION_COOKIE);
  return value !== undefined && isSession(tokens, value);
}

/** The status page for a valid session; a browser without one is sent to the login form. */
export function requireSession(tokens: readonly string[]): RequestHandler {
  return (req, res, next) => {
    if (hasSession(tokens, req)) {
      next();
      return;
    }
    res.redirect(303, '/ui/login');
  };
}
