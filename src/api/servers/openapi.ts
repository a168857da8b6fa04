import type { Operation } from '../openapi/operation';
import { ids, idParam, timestamp } from '../openapi/examples';
import { createServerBody, patchServerBody } from './schema';

const created = {
  name: 'partner-a',
  host: 'sftp.partner-a.example',
  port: 22,
  username: 'ferry',
  password: 'correct horse battery staple',
  hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
  remoteDir: 'outgoing',
  include: ['*.csv'],
  bucket: 'ferry',
  keyPrefix: 'partner-a/',
};

const server = {
  id: ids.server,
  ...Object.fromEntries(Object.entries(created).filter(([k]) => k !== 'password')),
  hasPassword: true,
  hasPrivateKey: false,
  recursive: false,
  exclude: [],
  minAgeSeconds: 60,
  scanIntervalSeconds: 300,
  afterTransfer: 'keep',
  archiveDir: null,
  webhookUrl: null,
  hasWebhookSecret: false,
  enabled: true,
  smallFiles: 'workflow',
  scheduleId: `ferry-scan-schedule-${ids.server}`,
  scanWorkflowId: `ferry-scan-${ids.server}`,
  createdAt: timestamp,
  updatedAt: timestamp,
};

const tag = 'servers';
const params = idParam('server');

/** /v1/servers in /openapi.json. */
export const serverOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/servers',
    tag,
    summary: 'Register an SFTP server',
    description:
      'Creates the server and its scan schedule. A password or a privateKey is required; secrets are stored ' +
      'encrypted and never returned.',
    body: { schema: createServerBody, examples: { password: created } },
    responses: { 201: { description: 'The server.', example: server, headers: { Location: 'The server.' } } },
  },
  {
    method: 'get',
    path: '/v1/servers',
    tag,
    summary: 'List servers',
    responses: { 200: { description: 'Every server.', example: { servers: [server] } } },
  },
  {
    method: 'get',
    path: '/v1/servers/:id',
    tag,
    summary: 'One server',
    params,
    responses: { 200: { description: 'The server.', example: server } },
  },
  {
    method: 'patch',
    path: '/v1/servers/:id',
    tag,
    summary: 'Change a server',
    description: 'Only the fields given change; `null` clears an optional one. The schedule is rewritten.',
    params,
    body: {
      schema: patchServerBody,
      examples: { pause: { enabled: false }, everyMinute: { scanIntervalSeconds: 60 } },
    },
    responses: { 200: { description: 'The server as changed.', example: { ...server, enabled: false } } },
  },
  {
    method: 'delete',
    path: '/v1/servers/:id',
    tag,
    summary: 'Remove a server',
    description: 'Removes its schedule, a running scan, the server and its transfers.',
    params,
    responses: { 204: { description: 'Removed.' } },
    errors: { 409: 'A transfer of the server is running.' },
  },
  {
    method: 'post',
    path: '/v1/servers/:id/scan',
    tag,
    summary: 'Scan now',
    description: 'Starts a scan, or answers with the one already running.',
    params,
    responses: {
      202: {
        description: 'The scan workflow.',
        example: {
          serverId: ids.server,
          workflowId: `ferry-scan-${ids.server}`,
          runId: 'a1b2c3d4-0000-4000-8000-000000000001',
        },
      },
    },
  },
];
