import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths';

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-dev-secrets-'));
const makeDevSecrets = () =>
  execFileSync(
    'bash',
    [
      '-c',
      'source "$1" && make_dev_secrets "$2"',
      'bash',
      path.join(repoRoot, 'scripts/lib/dev-secrets.sh'),
      dir,
    ],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    },
  );
const mode = (file: string) => statSync(path.join(dir, file)).mode & 0o777;

describe('development secrets of npm start', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are written readable by their owner only, once', () => {
    makeDevSecrets();
    assert.equal(mode('secret.key'), 0o600);
    assert.equal(mode('api-token'), 0o600);
    assert.equal(Buffer.from(readFileSync(path.join(dir, 'secret.key'), 'utf8').trim(), 'base64').length, 32);
    const token = readFileSync(path.join(dir, 'api-token'), 'utf8');
    makeDevSecrets();
    assert.equal(readFileSync(path.join(dir, 'api-token'), 'utf8'), token, 'kept across starts');
  });

  it('tightens secrets an older version left readable by others', () => {
    writeFileSync(path.join(dir, 'api-token'), 'old-token\n', { mode: 0o644 });
    makeDevSecrets();
    assert.equal(mode('api-token'), 0o600);
    assert.equal(readFileSync(path.join(dir, 'api-token'), 'utf8'), 'old-token\n');
  });
});
