import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import { listen } from '../../src/api/listen';

describe('API server timeouts', () => {
  it('sets no limit on a whole request (large chunks on slow links) but closes idle connections', async () => {
    const server = await listen(express(), 0, '127.0.0.1');
    try {
      assert.equal(server.requestTimeout, 0, "Node's 5-minute default would cut off slow chunks");
      assert.equal(server.timeout, 5 * 60_000);
      assert.equal(server.headersTimeout, 60_000, 'headers still have to arrive promptly');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
