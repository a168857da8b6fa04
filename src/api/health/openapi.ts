import type { Operation } from '../openapi/operation';

const tag = 'health';

/** /healthz, /readyz and /metrics in /openapi.json. */
export const healthOperations: Operation[] = [
  {
    method: 'get',
    path: '/healthz',
    tag,
    summary: 'The API process is up',
    auth: 'public',
    responses: { 200: { description: 'Up.', example: { status: 'ok' } } },
  },
  {
    method: 'get',
    path: '/readyz',
    tag,
    summary: 'PostgreSQL, Temporal and object storage answer',
    auth: 'public',
    responses: {
      200: {
        description: 'Every dependency answers.',
        example: {
          status: 'ready',
          checks: { database: { ok: true }, temporal: { ok: true }, objectStorage: { ok: true } },
        },
      },
      503: {
        description: 'A dependency does not answer; its check says which.',
        example: {
          status: 'unavailable',
          checks: {
            database: { ok: false },
            temporal: { ok: true },
            objectStorage: { ok: true },
          },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    tag,
    summary: 'Prometheus metrics of the API',
    responses: {
      200: {
        description: 'The text exposition format.',
        contentType: 'text/plain',
        example:
          '# TYPE ferry_api_process_cpu_seconds_total counter\nferry_api_process_cpu_seconds_total 1.2\n',
      },
    },
  },
];
