import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import type { Operation } from './operation';

/** The files of swagger-ui-dist the page loads; the package's own index.html (a demo) is not served. */
const UI_FILES = new Set(['/swagger-ui.css', '/swagger-ui-bundle.js', '/favicon-32x32.png']);

// persistAuthorization keeps the token of "Authorize" across reloads (in the
// browser's localStorage, as Swagger UI does).
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Ferry API</title>
<link rel="icon" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
});
</script>
</body>
</html>
`;

/**
 * GET /openapi.json and GET /docs (Swagger UI, from the swagger-ui-dist
 * package: no CDN). Both are public: they describe the API and hold no data;
 * every call made from the page still needs a token ("Authorize").
 */
export function openApiRoutes(document: () => Record<string, unknown>): Router {
  const router = Router();
  let cached: Record<string, unknown> | undefined;
  router.get('/openapi.json', (_req, res) => {
    cached ??= document();
    res.json(cached);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  const files = express.static(path.dirname(require.resolve('swagger-ui-dist/package.json')), {
    index: false,
    fallthrough: true,
    maxAge: '1h',
  });
  const uiFiles: RequestHandler = (req, res, next) => {
    if (UI_FILES.has(req.path)) files(req, res, next);
    else next();
  };
  router.use('/docs', uiFiles);
  return router;
}

/** These two routes in the document they serve. */
export const docsOperations: Operation[] = [
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'docs',
    summary: 'This document (OpenAPI 3.1)',
    auth: 'public',
    responses: { 200: { description: 'The OpenAPI document.', example: { openapi: '3.1.0' } } },
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'docs',
    summary: 'A browsable page of this document (Swagger UI)',
    auth: 'public',
    responses: {
      200: { description: 'An HTML page.', contentType: 'text/html', example: '<!doctype html>…' },
    },
  },
];
