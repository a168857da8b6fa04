import { assertBucketAllowed } from '../../lib/storage-policy';
import { randomUUID } from 'node:crypto';
import type { Prisma, Route } from '../../generated/prisma/client';
import { syncBucketNotifications } from '../../lib/bucket-notifications';
import { isRecordNotFound, isUniqueViolation, type Db } from '../../lib/db';
import { ConflictError, FerryError, NotFoundError, ValidationError } from '../../lib/errors';
import { sealedIn } from '../../lib/sealed-fields';
import { encryptSecret, type SecretKeyring } from '../../lib/secrets';
import type { ApiDeps } from '../deps';
import type { CreateRouteBody, PatchRouteBody, RouteActionBody, RouteMatchBody } from './schema';

type Tx = Prisma.TransactionClient;

/**
 * /v1/routes. A route change and the notification configuration of the
 * buckets it touches are one step: when FERRY_EVENTS_NOTIFY_ARN is set, the
 * bucket is configured inside the transaction, so a route is saved only if
 * its bucket will send Ferry its events.
 */
function matchData(m: RouteMatchBody) {
  return {
    eventTypes: m.eventTypes,
    bucket: m.bucket ?? null,
    keyPrefix: m.keyPrefix ?? null,
    keySuffix: m.keySuffix ?? null,
    keyGlob: m.keyGlob ?? null,
    serverId: m.serverId ?? null,
  };
}

function actionData(ring: SecretKeyring, routeId: string, a: RouteActionBody) {
  if (a.type === 'webhook') {
    return {
      action: a.type,
      settings: { url: a.url },
      webhookSecretEnc: a.secret
        ? encryptSecret(ring, a.secret, sealedIn('Route', routeId, 'webhookSecretEnc'))
        : null,
    };
  }
  if (a.type === 'export') {
    const { type: _type, ...settings } = a;
    return { action: a.type, settings, webhookSecretEnc: null };
  }
  return { action: a.type, settings: { serverId: a.serverId ?? null }, webhookSecretEnc: null };
}

/** Servers a route names must exist when it is saved (they are checked again when it runs). */
async function checkServers(db: Db | Tx, ids: (string | null | undefined)[]): Promise<void> {
  for (const id of ids) {
    if (id && !(await db.server.findUnique({ where: { id }, select: { id: true } }))) {
      throw new ValidationError(`server ${id} does not exist`);
    }
  }
}

function serversOf(body: { match?: RouteMatchBody; action?: RouteActionBody }) {
  const action = body.action;
  return [
    body.match?.serverId,
    action?.type === 'scan' || action?.type === 'export' ? action.serverId : undefined,
  ];
}

async function syncBuckets({ config, s3 }: ApiDeps, tx: Tx, buckets: (string | null)[]): Promise<void> {
  const arn = config.FERRY_EVENTS_NOTIFY_ARN;
  if (!arn) return;
  for (const bucket of new Set(buckets.filter((b): b is string => b !== null))) {
    const routes = await tx.route.findMany({
      where: { bucket, enabled: true },
      select: { eventTypes: true },
    });
    await syncBucketNotifications(s3, arn, bucket, routes);
  }
}

function nameTaken(err: unknown, name: string | undefined): unknown {
  return isUniqueViolation(err) ? new ConflictError(`a route named "${name}" already exists`) : err;
}

/** A route may watch only buckets Ferry may work in. */
function checkBucket(deps: ApiDeps, body: PatchRouteBody): void {
  const bucket = body.match?.bucket;
  if (bucket) assertBucketAllowed(deps.config, 'match.bucket', bucket);
}

export async function createRoute(deps: ApiDeps, body: CreateRouteBody): Promise<Route> {
  checkBucket(deps, body);
  await checkServers(deps.db, serversOf(body));
  try {
    return await deps.db.$transaction(
      async (tx) => {
        // The ID first: the route's webhook secret is sealed to its row.
        const id = randomUUID();
        const route = await tx.route.create({
          data: {
            id,
            name: body.name,
            enabled: body.enabled,
            ...matchData(body.match),
            ...actionData(deps.config.secretKey, id, body.action),
          },
        });
        await syncBuckets(deps, tx, [route.bucket]);
        return route;
      },
      { timeout: 15_000 },
    );
  } catch (err) {
    throw nameTaken(err, body.name);
  }
}

export async function findRoute({ db }: ApiDeps, id: string): Promise<Route> {
  const route = await db.route.findUnique({ where: { id } });
  if (!route) throw new NotFoundError('route', id);
  return route;
}

export async function listRoutes({ db }: ApiDeps): Promise<Route[]> {
  return await db.route.findMany({ orderBy: { name: 'asc' } });
}

export async function updateRoute(deps: ApiDeps, id: string, body: PatchRouteBody): Promise<Route> {
  checkBucket(deps, body);
  await checkServers(deps.db, serversOf(body));
  try {
    return await deps.db.$transaction(
      async (tx) => {
        const before = await tx.route.findUnique({ where: { id } });
        if (!before) throw new NotFoundError('route', id);
        const route = await tx.route.update({
          where: { id },
          data: {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
            ...(body.match ? matchData(body.match) : {}),
            ...(body.action ? actionData(deps.config.secretKey, id, body.action) : {}),
          },
        });
        await syncBuckets(deps, tx, [before.bucket, route.bucket]);
        return route;
      },
      { timeout: 15_000 },
    );
  } catch (err) {
    if (err instanceof FerryError) throw err;
    throw isRecordNotFound(err) ? new NotFoundError('route', id) : nameTaken(err, body.name);
  }
}

export async function deleteRoute(deps: ApiDeps, id: string): Promise<void> {
  try {
    await deps.db.$transaction(
      async (tx) => {
        const route = await tx.route.delete({ where: { id } });
        await syncBuckets(deps, tx, [route.bucket]);
      },
      { timeout: 15_000 },
    );
  } catch (err) {
    throw isRecordNotFound(err) ? new NotFoundError('route', id) : err;
  }
}
