import { z } from 'zod';
import { errorBody } from '../errors';
import { openApiPath, type Operation } from './operation';

type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema (draft 2020-12, OpenAPI 3.1's dialect) of what a request may
 * send: the input side of transforms and defaults. Refinements have no JSON
 * Schema form and are left out; the route still applies them.
 */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  });
  return rest;
}

const errorRef = { $ref: '#/components/schemas/Error' };
const STATUS_TEXT: Record<number, string> = {
  400: 'The request is invalid: `details` names each field at fault.',
  401: 'No valid bearer token.',
  404: 'No such resource (an ID of the wrong form names nothing either).',
  413: 'The body is larger than this route accepts.',
};

function errorResponses(op: Operation): Record<string, unknown> {
  const statuses: Record<number, string> = {};
  if (op.body || op.query || op.headers || op.params) statuses[400] = STATUS_TEXT[400] as string;
  if ((op.auth ?? 'bearer') !== 'public') statuses[401] = STATUS_TEXT[401] as string;
  if (op.params) statuses[404] = STATUS_TEXT[404] as string;
  if (op.body) statuses[413] = STATUS_TEXT[413] as string;
  Object.assign(statuses, op.errors);
  return Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: errorRef } } },
    ]),
  );
}

function parameters(op: Operation): unknown[] {
  const path = Object.entries(op.params ?? {}).map(([name, p]) => ({
    name,
    in: 'path',
    required: true,
    description: p.description,
    schema: jsonSchemaOf(p.schema),
    example: p.example,
  }));
  const shape = op.query?.schema.shape ?? {};
  const query = Object.entries(shape).map(([name, schema]) => ({
    name,
    in: 'query',
    required: !(schema as z.ZodType).isOptional(),
    schema: jsonSchemaOf(schema as z.ZodType),
    ...(op.query?.example[name] !== undefined ? { example: op.query.example[name] } : {}),
  }));
  const headers = Object.entries(op.headers ?? {}).map(([name, h]) => ({
    name,
    in: 'header',
    required: h.required ?? false,
    description: h.description,
    schema: jsonSchemaOf(h.schema),
    example: h.example,
  }));
  return [...path, ...query, ...headers];
}

function operationObject(op: Operation): Record<string, unknown> {
  const auth = op.auth ?? 'bearer';
  const responses = Object.fromEntries(
    Object.entries(op.responses).map(([status, a]) => [
      status,
      {
        description: a.description,
        ...(a.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(a.headers).map(([h, d]) => [
                  h,
                  { description: d, schema: { type: 'string' } },
                ]),
              ),
            }
          : {}),
        ...(a.example !== undefined
          ? { content: { [a.contentType ?? 'application/json']: { example: a.example } } }
          : {}),
      },
    ]),
  );
  const body = op.body && {
    required: true,
    ...(op.body.description ? { description: op.body.description } : {}),
    content: {
      [op.body.contentType ?? 'application/json']: {
        schema: jsonSchemaOf(op.body.schema),
        examples: Object.fromEntries(Object.entries(op.body.examples).map(([k, value]) => [k, { value }])),
      },
    },
  };
  const params = parameters(op);
  return {
    operationId: `${op.method}${openApiPath(op.path).replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c?: string) => (c ?? '').toUpperCase())}`,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: auth === 'public' ? [] : [{ bearer: [] }],
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: { ...responses, ...errorResponses(op) },
  };
}

/** The OpenAPI 3.1 document of the given operations (GET /openapi.json). */
export function openApiDocument(operations: readonly Operation[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = (paths[openApiPath(op.path)] ??= {});
    path[op.method] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ferry API',
      version,
      description:
        'Moves files between SFTP servers and S3-compatible storage. Every route but the health checks, ' +
        '`/openapi.json` and `/docs` needs `Authorization: Bearer <token>` (one of `API_TOKENS`): ' +
        'use **Authorize** on this page. Errors share one shape (`Error`).',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: jsonSchemaOf(errorBody) },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'One of `API_TOKENS`.' } },
    },
  };
}
