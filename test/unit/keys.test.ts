import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../src/lib/errors';
import { joinKey, normalizeKeyPrefix, normalizeObjectKey, normalizeRemotePath } from '../../src/lib/keys';

describe('object keys and remote paths', () => {
  it('collapse repeated slashes and "." segments', () => {
    assert.equal(normalizeObjectKey('a//b/./c.txt'), 'a/b/c.txt');
    assert.equal(normalizeKeyPrefix('in//2024/'), 'in/2024/');
    assert.equal(normalizeKeyPrefix(''), '');
    assert.equal(joinKey('landing', 'dir/ünï code.csv'), 'landing/dir/ünï code.csv');
    assert.equal(normalizeRemotePath('/srv//data/./in'), '/srv/data/in');
    assert.equal(normalizeRemotePath(''), '.');
  });

  for (const bad of [
    '../etc/passwd',
    'a/../../b',
    '/abs/key',
    'tab\there',
    'nul\u0000',
    'back\\slash',
    '',
    '///',
  ]) {
    it(`refuse the key ${JSON.stringify(bad)}`, () => {
      assert.throws(() => normalizeObjectKey(bad), ValidationError);
    });
  }

  it('refuse ".." in remote paths, even absolute ones', () => {
    assert.throws(() => normalizeRemotePath('/srv/../etc'), ValidationError);
  });
});
