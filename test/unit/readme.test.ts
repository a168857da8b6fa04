import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configKeys } from '../../src/config';
import { repoRoot } from '../helpers/paths';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

describe('README', () => {
  it('documents every configuration setting in its table', () => {
    const missing = configKeys.filter((key) => !new RegExp(`^\\|\\s*\`${key}\`\\s*\\|`, 'm').test(readme));
    assert.deepEqual(missing, []);
  });

  it('gives the two set-up commands, and CI runs the same test command', () => {
    assert.match(readme, /^npm start$/m);
    assert.match(readme, /^npm test$/m);
    const ci = readFileSync(path.join(repoRoot, '.ci/run'), 'utf8');
    assert.match(ci, /^npm test$/m);
  });
});
