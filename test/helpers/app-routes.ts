import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/deps';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/lib/logger';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string;
}

/** "METHOD /path" of every route the app serves, following mounted routers. */
export function appRoutes(app: Express): string[] {
  const walk = (stack: Layer[], prefix: string): string[] =>
    stack.flatMap((layer) => {
      if (layer.route) {
        return Object.keys(layer.route.methods).map(
          (m) => `${m.toUpperCase()} ${prefix}${layer.route?.path}`,
        );
      }
      if (!layer.handle.stack) return [];
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      return walk(layer.handle.stack, prefix + mount);
    });
  return walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
}

/** The app as built for production, without any service behind it: enough to list its routes. */
export function offlineApp(): Express {
  const deps = {
    config: loadConfig({ API_TOKENS: 't', FERRY_SECRET_KEY: Buffer.alloc(32).toString('base64') }),
    db: {},
    s3: {},
    temporal: {},
    log: createLogger('silent', 'offline-app'),
  } as unknown as ApiDeps;
  return createApp(deps);
}
