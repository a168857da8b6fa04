import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it, mock } from 'node:test';
import type { Request, Response } from 'express';
import { requireBearer } from '../../src/api/auth';

/** Runs the middleware on a request with this Authorization header; true when it let the request through. */
function passes(tokens: string[], authorization: string | undefined): boolean {
  let outcome: unknown = 'not called';
  const req = {
    header: (name: string) => (name.toLowerCase() === 'authorization' ? authorization : undefined),
  };
  requireBearer(tokens)(req as Request, {} as Response, (err?: unknown) => (outcome = err));
  return outcome === undefined;
}

describe('bearer tokens', () => {
  it('accepts exactly the configured tokens', () => {
    const tokens = ['first-token-1234', 'second'];
    assert.equal(passes(tokens, 'Bearer first-token-1234'), true);
    assert.equal(passes(tokens, 'bearer second'), true);
    for (const wrong of [
      'Bearer first-token-123',
      'Bearer first-token-12345',
      'Bearer ',
      'first-token-1234',
      undefined,
    ]) {
      assert.equal(passes(tokens, wrong), false, String(wrong));
    }
  });

  it('compares fixed-length digests of every token, so a wrong length is not answered faster', () => {
    const compare = mock.method(crypto, 'timingSafeEqual');
    try {
      passes(['a-long-configured-token', 'short'], 'Bearer x');
      assert.equal(
        compare.mock.callCount(),
        2,
        'one comparison per configured token, whatever the length given',
      );
      for (const call of compare.mock.calls) {
        const [a, b] = call.arguments as [Buffer, Buffer];
        assert.equal(a.length, 32);
        assert.equal(b.length, 32);
      }
    } finally {
      compare.mock.restore();
    }
  });
});
