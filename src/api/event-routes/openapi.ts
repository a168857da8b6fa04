import type { Operation } from '../openapi/operation';
import { ids, idParam, timestamp } from '../openapi/examples';
import { createRouteBody, patchRouteBody } from './schema';

const created = {
  name: 'zip partner-a',
  match: { eventTypes: ['s3:ObjectCreated:*'], bucket: 'ferry', keyPrefix: 'partner-a/' },
  action: { type: 'export', serverId: ids.server, directory: 'incoming', archiveName: '{base}.zip' },
};
const route = {
  id: ids.route,
  name: created.name,
  enabled: true,
  match: { ...created.match, keySuffix: null, keyGlob: null, serverId: null },
  action: { ...created.action, compression: 'deflate', overwrite: false },
  createdAt: timestamp,
  updatedAt: timestamp,
};
const tag = 'routes';
const params = idParam('route');

/** /v1/routes in /openapi.json (docs/events.md). */
export const eventRouteOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/routes',
    tag,
    summary: 'Create a route: which events start which work',
    body: {
      schema: createRouteBody,
      examples: {
        export: created,
        webhook: {
          name: 'tell the warehouse',
          match: { eventTypes: ['sftp.file.uploaded'] },
          action: { type: 'webhook', url: 'https://hooks.example.com/ferry' },
        },
      },
    },
    responses: { 201: { description: 'The route.', example: route, headers: { Location: 'The route.' } } },
  },
  {
    method: 'get',
    path: '/v1/routes',
    tag,
    summary: 'List routes',
    responses: {
      200: {
        description: 'Every route (webhook secrets only as `hasSecret`).',
        example: { routes: [route] },
      },
    },
  },
  {
    method: 'get',
    path: '/v1/routes/:id',
    tag,
    summary: 'One route',
    params,
    responses: { 200: { description: 'The route.', example: route } },
  },
  {
    method: 'patch',
    path: '/v1/routes/:id',
    tag,
    summary: 'Rename, enable or disable a route, or replace its match or action',
    params,
    body: { schema: patchRouteBody, examples: { disable: { enabled: false } } },
    responses: { 200: { description: 'The route as changed.', example: { ...route, enabled: false } } },
  },
  {
    method: 'delete',
    path: '/v1/routes/:id',
    tag,
    summary: 'Remove a route',
    params,
    responses: { 204: { description: 'Removed.' } },
  },
];
