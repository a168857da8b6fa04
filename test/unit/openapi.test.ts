import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parseEvents } from '../../src/api/events/schema';
import { jsonSchemaOf } from '../../src/api/openapi/document';
import { openApiPath } from '../../src/api/openapi/operation';
import { allOperations, ferryOpenApiDocument } from '../../src/api/openapi/operations';
import { createServerBody } from '../../src/api/servers/schema';
import { appRoutes, offlineApp } from '../helpers/app-routes';

type Paths = Record<
  string,
  Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
>;
const document = ferryOpenApiDocument();
const paths = document.paths as Paths;

describe('OpenAPI document', () => {
  it('describes every route Express serves, and no other', () => {
    const served = appRoutes(offlineApp()).map((route) => {
      const [method = '', path = ''] = route.split(' ');
      return `${method} ${openApiPath(path)}`;
    });
    const documented = Object.entries(paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(
      served.filter((r) => !documented.includes(r)),
      [],
      'routes missing from /openapi.json',
    );
    assert.deepEqual(
      documented.filter((r) => !served.includes(r)),
      [],
      'documented routes Express does not serve',
    );
  });

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    assert.equal(validator.version, '3.1');
    assert.deepEqual(result.errors ?? [], []);
    assert.equal(result.valid, true);
  });

  it("has examples that each pass the route's own validation", () => {
    let checked = 0;
    const passes = (
      what: string,
      schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
      value: unknown,
    ) => {
      const result = schema.safeParse(value);
      assert.ok(result.success, `${what}: ${JSON.stringify(result.error)}`);
      checked += 1;
    };
    for (const op of allOperations) {
      const name = `${op.method.toUpperCase()} ${op.path}`;
      for (const [param, p] of Object.entries(op.params ?? {}))
        passes(`${name} {${param}}`, p.schema, p.example);
      for (const [header, h] of Object.entries(op.headers ?? {}))
        passes(`${name} ${header}`, h.schema, h.example);
      if (op.query) passes(`${name} query`, op.query.schema, op.query.example);
      for (const [example, value] of Object.entries(op.body?.examples ?? {})) {
        passes(
          `${name} example ${example}`,
          op.body?.schema ?? { safeParse: () => ({ success: false }) },
          value,
        );
        if (op.path === '/v1/events') assert.doesNotThrow(() => parseEvents(value, null));
      }
    }
    assert.ok(checked > 30, `only ${checked} examples checked`);
  });

  it('follows the zod schemas the routes validate with', () => {
    const body = paths['/v1/servers']?.post?.requestBody?.content['application/json']?.schema;
    assert.deepEqual(body, jsonSchemaOf(createServerBody));
    const properties = (body as { properties: Record<string, unknown> }).properties;
    assert.deepEqual(Object.keys(properties).sort(), Object.keys(createServerBody.shape).sort());
  });

  it('names the bearer scheme and the error shape', () => {
    const components = document.components as {
      securitySchemes: Record<string, { scheme: string }>;
      schemas: Record<string, { properties: Record<string, unknown> }>;
    };
    assert.equal(components.securitySchemes.bearer?.scheme, 'bearer');
    assert.ok(components.schemas.Error?.properties.error);
    const listServers = (paths['/v1/servers']?.get ?? {}) as {
      security: unknown;
      responses: Record<string, unknown>;
    };
    assert.deepEqual(listServers.security, [{ bearer: [] }]);
    assert.ok(listServers.responses['401']);
    assert.deepEqual((paths['/healthz']?.get as { security: unknown }).security, []);
  });
});
