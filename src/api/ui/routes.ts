import { loginForm } from './openapi';
import express, { type Router } from 'express';
import { tokenMatcher } from '../auth';
import type { ApiDeps } from '../deps';
import { presentLogin, presentStatus } from './present';
import { statusPage } from './service';
import { clearSessionCookie, newSession, requireSession, setSessionCookie } from '../session';

/**
 * The status page for people (docs/status-page.md): a login form that turns
 * an API token into a session cookie, and one server-rendered page. Changes
 * (login, logout) are POSTs; the SameSite=Strict cookie keeps other sites'
 * forms from making them.
 */
export function uiRoutes(deps: ApiDeps): Router {
  const router = express.Router();
  const tokens = deps.config.API_TOKENS;
  const matches = tokenMatcher(tokens);
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  // The page is personal and live: never cached, never framed by another site.
  router.use('/ui', (_req, res, next) => {
    res.set({
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    });
    next();
  });

  router.get('/', (_req, res) => res.redirect(302, '/ui'));

  router.get('/ui/login', (_req, res) => {
    res.type('html').send(presentLogin());
  });

  router.post('/ui/login', form, (req, res) => {
    const given = loginForm.safeParse(req.body).data?.token;
    if (given === undefined || !matches(given)) {
      res.status(401).type('html').send(presentLogin('That token is not valid.'));
      return;
    }
    const session = newSession(given);
    setSessionCookie(req, res, session.value, session.expiresAt);
    res.redirect(303, '/ui');
  });

  router.post('/ui/logout', (req, res) => {
    clearSessionCookie(req, res);
    res.redirect(303, '/ui/login');
  });

  router.get('/ui', requireSession(tokens), async (_req, res) => {
    res.type('html').send(presentStatus(await statusPage(deps), deps.config));
  });

  return router;
}
