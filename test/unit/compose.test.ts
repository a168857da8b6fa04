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
  ports?: (string | { host_ip?: string; published?: string | number })[];
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
    const env = {
      FERRY_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
      API_TOKENS: 'a-token',
      FERRY_EVENTS_TOKEN: 'an-events-token',
      FERRY_S3_SECRET_KEY: 'ferry-s3-secret',
    };
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

  it('has no default secret: the API token and every password must be set', () => {
    const env = Object.fromEntries(
      Object.values(services).flatMap((svc) => Object.entries(svc.environment ?? {})),
    );
    for (const name of [
      'API_TOKENS',
      'FERRY_SECRET_KEY',
      'S3_SECRET_ACCESS_KEY',
      'MINIO_ROOT_PASSWORD',
      'FERRY_EVENT_TOKENS',
    ]) {
      assert.ok(env[name] !== undefined, `${name} is not set anywhere`);
      assert.throws(() => interpolate(String(env[name]), {}), /required/, `${name} has a default`);
    }
    assert.doesNotMatch(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), /change-me/);
  });

  it('publishes only the API on all interfaces; everything else on the loopback', () => {
    const published = Object.entries(services).flatMap(([name, svc]) =>
      (svc.ports ?? []).map((port) => {
        // Short syntax: [HOST_IP:]HOST_PORT:CONTAINER_PORT; long syntax: { host_ip, published }.
        const hostIp = typeof port === 'string' ? /^(.+):[^:]+:[^:]+$/.exec(port)?.[1] : port.host_ip;
        return { name, hostIp };
      }),
    );
    assert.ok(published.some((p) => p.name === 'ferry-api'));
    for (const { name, hostIp } of published) {
      if (name === 'ferry-api') continue;
      assert.equal(hostIp, '127.0.0.1', `${name} publishes a port beyond the loopback`);
    }
    for (const name of ['temporal', 'temporal-ui', 'minio', 'sftp', 'ferry-worker'])
      assert.ok(services[name]?.ports?.length, `${name} publishes nothing to the loopback either`);
  });

  it("gives Ferry's services their own MinIO user, never MinIO's root credentials", () => {
    const minio = services.minio?.environment ?? {};
    for (const name of ['migrate', 'ferry-api', 'ferry-worker']) {
      const env = services[name]?.environment ?? {};
      const values = Object.values(env).map(String);
      assert.ok(!values.some((v) => v.includes('MINIO_ROOT')), `${name} gets MinIO's root credentials`);
      assert.ok(!Object.keys(env).some((k) => k.startsWith('MINIO_ROOT')), `${name} gets MINIO_ROOT_*`);
      assert.equal(env.S3_ACCESS_KEY_ID, services['minio-init']?.environment?.FERRY_S3_ACCESS_KEY);
      assert.equal(env.S3_SECRET_ACCESS_KEY, services['minio-init']?.environment?.FERRY_S3_SECRET_KEY);
      assert.notEqual(env.S3_ACCESS_KEY_ID, minio.MINIO_ROOT_USER);
    }
    for (const name of ['ferry-api', 'ferry-worker'])
      assert.ok(Object.keys(services[name]?.depends_on ?? {}).includes('minio-init'));
    // The init container makes the user and attaches a policy naming Ferry's buckets only.
    const init = readFileSync(path.join(repoRoot, 'docker/minio-init.sh'), 'utf8');
    assert.match(init, /mc admin user add root "\$FERRY_S3_ACCESS_KEY" "\$FERRY_S3_SECRET_KEY"/);
    assert.match(init, /mc admin policy create root ferry/);
    assert.match(init, /mc admin policy attach root ferry --user "\$FERRY_S3_ACCESS_KEY"/);
    assert.match(init, /for bucket in \$FERRY_BUCKETS/);
    assert.doesNotMatch(init, /arn:aws:s3:::\*/);
  });

  it('builds the image on Node 24 LTS from exactly the lock file', () => {
    const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.ok(bases.length > 0);
    for (const base of bases) assert.match(base ?? '', /^node:24-[a-z]+-slim$/);
    assert.match(dockerfile, /^RUN npm ci\b/m);
    assert.doesNotMatch(dockerfile, /npm install/);
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
