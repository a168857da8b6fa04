import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, configKeys, loadConfig, type Config } from '../../src/config';
import { appRoutes, offlineApp } from '../helpers/app-routes';
import { repoRoot } from '../helpers/paths';
import { MiB } from '../../src/lib/units';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const configurationDoc = readFileSync(path.join(repoRoot, 'docs/configuration.md'), 'utf8');

/** The cells of a document's table rows whose first cell matches `pattern`. */
function tableRows(pattern: RegExp, text = readme): string[][] {
  return text
    .split('\n')
    .filter((line) => pattern.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

/** Every setting's default, as loadConfig resolves it when the setting is absent. */
function defaults(): Map<string, string> {
  const config: Config = loadConfig({
    API_TOKENS: 't',
    FERRY_SECRET_KEY: Buffer.alloc(32).toString('base64'),
  });
  const byKey = new Map<string, unknown>(Object.entries(config));
  byKey.set('TRANSFER_PART_MIB', config.transferPartBytes / MiB);
  byKey.set('UPLOAD_MAX_CHUNK_MIB', config.uploadMaxChunkBytes / MiB);
  // Folded into the outbound policy: an empty allowlist has no hosts, addresses or networks.
  byKey.set('FERRY_ALLOW_PRIVATE_WEBHOOKS', config.outbound.allowPrivate);
  const { outbound } = config;
  const allowlistEmpty = Object.entries(outbound).every(
    ([k, v]) => k === 'allowPrivate' || (Array.isArray(v) && v.length === 0),
  );
  byKey.set('FERRY_OUTBOUND_ALLOWLIST', allowlistEmpty ? '' : 'set');
  // An empty string or list (a parsed one, such as FERRY_EVENT_TOKENS) is documented as "".
  const empty = (value: unknown) => value === '' || (Array.isArray(value) && value.length === 0);
  return new Map([...byKey].map(([key, value]) => [key, empty(value) ? '""' : String(value)]));
}

/** The settings loadConfig refuses to start without. */
function required(): string[] {
  try {
    loadConfig({});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return configKeys.filter((key) => err.message.includes(`${key}:`));
  }
  return [];
}

describe('README', () => {
  it('documents every configuration setting with its default (docs/configuration.md; the README those it shows)', () => {
    const settingRow = /^\|\s*`[A-Z][A-Z0-9_]+`\s*\|/;
    const all = new Map(tableRows(settingRow, configurationDoc).map(([name, def]) => [name ?? '', def]));
    const documented = [...all.keys()].map((name) => name.replace(/`/g, ''));
    assert.deepEqual([...documented].sort(), [...configKeys].sort());

    const expected = defaults();
    const mustGive = required();
    assert.ok(mustGive.length > 0, 'some settings have no default');
    const inReadme = tableRows(settingRow);
    assert.ok(inReadme.length >= 5, 'the README shows the settings a deployment sets');
    for (const [name, cell] of [...all, ...inReadme.map(([n, d]) => [n ?? '', d] as const)]) {
      const key = name.replace(/`/g, '');
      assert.ok(configKeys.includes(key), `${key} is not a setting`);
      if (mustGive.includes(key)) assert.equal(cell, '**required**', key);
      else assert.equal(cell, `\`${expected.get(key)}\``, key);
    }
  });

  it('lists every route the API serves in its API table, and no other', () => {
    const served = appRoutes(offlineApp());
    assert.ok(served.length > 10, `found only ${served.length} routes`);
    const documented = tableRows(/^\|\s*`(GET|POST|PUT|PATCH|DELETE) \//).map(([cell]) =>
      (cell ?? '').replace(/`/g, ''),
    );
    assert.deepEqual([...documented].sort(), [...served].sort());
  });

  it('says why each runtime dependency is there', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const section = readme.split('## Runtime dependencies')[1]?.split('\n## ')[0] ?? '';
    const named = (dep: string): boolean => {
      const scoped = /^(@[^/]+)\/(.+)$/.exec(dep);
      if (section.includes(`\`${dep}\``)) return true;
      // `@scope/a`, `b`: later packages of one scope are named without it.
      return scoped !== null && section.includes(`\`${scoped[1]}/`) && section.includes(`\`${scoped[2]}\``);
    };
    assert.deepEqual(
      Object.keys(pkg.dependencies).filter((dep) => !named(dep)),
      [],
    );
  });

  it('gives the two set-up commands, and CI runs the same test command', () => {
    assert.match(readme, /^npm start$/m);
    assert.match(readme, /^npm test$/m);
    const ci = readFileSync(path.join(repoRoot, '.ci/run'), 'utf8');
    assert.match(ci, /^npm test$/m);
  });

  it('and the other documents cite no document outside the repository', () => {
    const docs = [
      'README.md',
      'CONTRIBUTING.md',
      'bench/README.md',
      ...readdirSync(path.join(repoRoot, 'docs')).map((f) => `docs/${f}`),
    ];
    const citing = docs.filter((doc) =>
      /PRODUCT\.md|FACTS\.md|\.\.\/shared\//.test(readFileSync(path.join(repoRoot, doc), 'utf8')),
    );
    assert.deepEqual(citing, []);
  });
});
