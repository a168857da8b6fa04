import { z } from 'zod';
import type { Operation } from '../openapi/operation';

const tag = 'status page';
const html = (description: string) => ({
  description,
  contentType: 'text/html',
  example: '<!doctype html>…',
});
const redirect = (to: string) => ({ description: `Redirect to ${to}.`, headers: { Location: to } });

/** The login form's body: the token, as the form posts it. */
export const loginForm = z.object({ token: z.string().min(1) });

/** The status page for people (HTML, its own cookie session), in /openapi.json. */
export const uiOperations: Operation[] = [
  {
    method: 'get',
    path: '/',
    tag,
    summary: 'Redirects to the status page',
    auth: 'public',
    responses: { 302: redirect('/ui') },
  },
  {
    method: 'get',
    path: '/ui',
    tag,
    summary: 'Status page: servers, running transfers, failures, jobs in flight',
    description:
      'Needs the session cookie set by `POST /ui/login`; without it, a redirect to the login form.',
    auth: 'public',
    responses: { 200: html('The status page.'), 302: redirect('/ui/login') },
  },
  {
    method: 'get',
    path: '/ui/login',
    tag,
    summary: 'The login form',
    auth: 'public',
    responses: { 200: html('The form.') },
  },
  {
    method: 'post',
    path: '/ui/login',
    tag,
    summary: 'Check a token and set a session cookie (12 h)',
    auth: 'public',
    body: {
      schema: loginForm,
      contentType: 'application/x-www-form-urlencoded',
      examples: { token: { token: 'one-of-API_TOKENS' } },
    },
    responses: { 303: redirect('/ui') },
    errors: { 401: 'The token is not valid (the form again, as HTML).' },
  },
  {
    method: 'post',
    path: '/ui/logout',
    tag,
    summary: 'End the session',
    auth: 'public',
    responses: { 303: redirect('/ui/login') },
  },
];
