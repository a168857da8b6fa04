import type { Route } from '../../generated/prisma/client';

/** A route as the API shows it; the webhook secret only as a flag. */
export function presentRoute(r: Route) {
  const settings = (r.settings ?? {}) as Record<string, unknown>;
  return {
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    match: {
      eventTypes: r.eventTypes,
      bucket: r.bucket,
      keyPrefix: r.keyPrefix,
      keySuffix: r.keySuffix,
      keyGlob: r.keyGlob,
      serverId: r.serverId,
    },
    action: {
      type: r.action,
      ...settings,
      ...(r.action === 'webhook' ? { hasSecret: r.webhookSecretEnc !== null } : {}),
    },
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
