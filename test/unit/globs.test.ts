import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileFilter } from '../../src/activities/scan/filter';
import { createServerBody, patchServerBody } from '../../src/api/servers/schema';
import { globProblem, MAX_GLOB_LENGTH, MAX_GLOBS } from '../../src/lib/globs';

const issuesOf = (body: unknown) => {
  const r = patchServerBody.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('globs: what a server may register', () => {
  it('refuses brace expansion and extglobs, which would otherwise explode or backtrack', () => {
    for (const pattern of ['*.{csv,txt}', 'part-{1..9}.csv', '+(a|aa)b', '@(x|y).csv', '!(*.tmp)', 'a?(b)']) {
      assert.ok(globProblem(pattern), pattern);
      assert.match(issuesOf({ include: [pattern] }).join(), /^include\.0: .*not supported/, pattern);
    }
  });

  it('accepts ordinary globs and escaped or lone braces', () => {
    for (const pattern of [
      '*.csv',
      'in/**/*.csv',
      '[a-z]*.txt',
      '?.bin',
      'x\\{a,b}',
      'report{final}.csv',
      '(1).csv',
    ]) {
      assert.equal(globProblem(pattern), undefined, pattern);
    }
    assert.deepEqual(issuesOf({ include: ['*.csv'], exclude: ['*.tmp', 'old/**'] }), []);
  });

  it('bounds the length and the number of patterns', () => {
    assert.match(issuesOf({ exclude: ['a'.repeat(MAX_GLOB_LENGTH + 1)] }).join(), /^exclude\.0/);
    assert.match(
      issuesOf({ include: Array.from({ length: MAX_GLOBS + 1 }, (_, i) => `${i}.csv`) }).join(),
      /^include/,
    );
    assert.equal(createServerBody.shape.include.safeParse(Array(MAX_GLOBS).fill('*.csv')).success, true);
  });
});

describe('globs: what a scan does with a stored pattern', () => {
  it('matches a hostile brace pattern literally instead of expanding it (2^40 patterns otherwise)', () => {
    const hostile = '{a,b}'.repeat(40);
    const wanted = fileFilter([hostile], []);
    assert.equal(wanted('a'.repeat(40)), false);
    assert.equal(wanted(hostile), true);
  });

  it('matches extglob syntax literally', () => {
    const wanted = fileFilter(['+(a|aa)b'], []);
    assert.equal(wanted('aab'), false);
    assert.equal(wanted('+(a|aa)b'), true);
  });
});
