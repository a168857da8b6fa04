import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { FERRY_SEARCH_ATTRIBUTES } from '../../src/workflows/contract';
import { repoRoot } from '../helpers/paths';

// docker-compose.yml cannot run here (no Docker engine); this checks what can
// be checked without one: structure, references and Ferry's configuration.
interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
  volumes?: string[];
}
const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

/** Resolves ${VAR:-default} and ${VAR:?message} the way Compose does, from `env`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    const v = env[name];
    if (v) return v;
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return arg ?? '';
  });
}

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, Temporal with its Web UI, MinIO, an SFTP server, and Ferry API and worker', () => {
    for (const name of [
      'postgres',
      'temporal',
      'temporal-ui',
      'minio',
      'sftp',
      'migrate',
      'ferry-api',
      'ferry-worker',
    ]) {
      assert.ok(services[name], `service ${name} is missing`);
    }
    assert.match(services.temporal?.image ?? '', /^temporalio\/auto-setup:\d/);
    assert.match(services['temporal-ui']?.image ?? '', /^temporalio\/ui:\d/);
    for (const name of ['migrate', 'ferry-api', 'ferry-worker']) assert.equal(services[name]?.build, '.');
    assert.ok(existsSync(path.join(repoRoot, 'Dockerfile')));
  });

  it('only depends on services it defines, and mounts files that exist', () => {
    for (const [name, svc] of Object.entries(services)) {
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const dep of deps) assert.ok(services[dep], `${name} depends on unknown service ${dep}`);
      for (const volume of svc.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./'))
          assert.ok(existsSync(path.join(repoRoot, source)), `${name} mounts ${source}`);
      }
    }
  });

  it("gives the API and worker a configuration that Ferry's config module accepts", () => {
    const env = { FERRY_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') };
    for (const name of ['ferry-api', 'ferry-worker']) {
      const raw = services[name]?.environment ?? {};
      const resolved = Object.fromEntries(
        Object.entries(raw).map(([k, v]) => [k, interpolate(String(v), env)]),
      );
      const config = loadConfig(resolved);
      assert.equal(config.TEMPORAL_ADDRESS, 'temporal:7233');
      assert.equal(config.S3_ENDPOINT, 'http://minio:9000');
    }
    assert.throws(
      () => interpolate(String(services['ferry-api']?.environment?.FERRY_SECRET_KEY), {}),
      /required/,
    );
  });

  it('starts the built entry points that the TypeScript build emits', () => {
    const entries = ['ferry-api', 'ferry-worker'].map((n) => [services[n]?.command].flat().join(' '));
    assert.deepEqual(entries, ['node dist/src/api/main.js', 'node dist/src/worker.js']);
    const build = JSON.parse(readFileSync(path.join(repoRoot, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    assert.deepEqual(build.include, ['src']);
  });
});

describe("Ferry's search attributes", () => {
  const names = FERRY_SEARCH_ATTRIBUTES.map((k) => k.name).sort();

  it('are registered by docker compose before the API and worker start', () => {
    const init = services['temporal-search-attributes'];
    const command = [init?.command].flat().join(' ');
    const registered = [...command.matchAll(/--name (\w+) --type Keyword/g)].map((m) => m[1]).sort();
    assert.deepEqual(registered, names);
    for (const name of ['ferry-api', 'ferry-worker']) {
      const deps = services[name]?.depends_on as Record<string, { condition: string }>;
      assert.equal(deps['temporal-search-attributes']?.condition, 'service_completed_successfully');
    }
  });

  it('are registered by scripts/services.sh on the dev server', () => {
    const script = readFileSync(path.join(repoRoot, 'scripts/services.sh'), 'utf8');
    const list = /^FERRY_SEARCH_ATTRIBUTES=\(([^)]*)\)$/m.exec(script)?.[1] ?? '';
    assert.deepEqual(list.split(/\s+/).sort(), names);
    assert.ok(FERRY_SEARCH_ATTRIBUTES.every((k) => k.type === 'KEYWORD'));
  });
});
