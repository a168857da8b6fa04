'use strict';
/**
 * Resumable SHA-256 for Ferry's transfers: the native addon when it was built
 * (scripts/build-native.sh), otherwise this file's JavaScript implementation
 * of the same state format. Plain CommonJS on purpose: it is loaded inside a
 * worker thread, where neither TypeScript nor a bundler is available.
 *
 * impl.create(state?) -> ctx; impl.update(ctx, bytes); impl.save(ctx) ->
 * state: H as eight big-endian words, the byte count as a big-endian u64,
 * then the bytes of the unfinished block (40 to 103 bytes in all);
 * impl.digest(ctx) -> 32 bytes.
 */

const STATE_BYTES = 40;
const BLOCK = 64;
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const W = new Int32Array(64);

/** Processes the 64-byte blocks of bytes[off, end) into h. */
function compress(h, bytes, off, end) {
  for (; off + BLOCK <= end; off += BLOCK) {
    for (let i = 0; i < 16; i++) {
      const j = off + 4 * i;
      W[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15];
      const b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h[0];
    let b = h[1];
    let c = h[2];
    let d = h[3];
    let e = h[4];
    let f = h[5];
    let g = h[6];
    let hh = h[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
    h[5] = (h[5] + f) | 0;
    h[6] = (h[6] + g) | 0;
    h[7] = (h[7] + hh) | 0;
  }
}

function parseState(state) {
  if (state.length < STATE_BYTES || state.length >= STATE_BYTES + BLOCK) {
    throw new Error('sha256 state must be 40 to 103 bytes');
  }
  const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
  const h = [];
  for (let i = 0; i < 8; i++) h.push(view.getUint32(4 * i));
  const bytes = Number(view.getBigUint64(32));
  const pending = state.subarray(STATE_BYTES);
  if (bytes % BLOCK !== pending.length) throw new Error('sha256 state: unfinished block of the wrong length');
  return { h, bytes, pending };
}

const javascript = {
  name: 'javascript',
  create(state) {
    const start = state ? parseState(state) : { h: IV, bytes: 0, pending: new Uint8Array(0) };
    const buf = new Uint8Array(BLOCK);
    buf.set(start.pending);
    return { h: new Int32Array(start.h), bytes: start.bytes, buf, n: start.pending.length };
  },
  update(ctx, data) {
    let off = 0;
    ctx.bytes += data.length;
    if (ctx.n > 0) {
      const take = Math.min(BLOCK - ctx.n, data.length);
      ctx.buf.set(data.subarray(0, take), ctx.n);
      ctx.n += take;
      off = take;
      if (ctx.n < BLOCK) return;
      compress(ctx.h, ctx.buf, 0, BLOCK);
      ctx.n = 0;
    }
    const whole = off + Math.floor((data.length - off) / BLOCK) * BLOCK;
    compress(ctx.h, data, off, whole);
    ctx.buf.set(data.subarray(whole), 0);
    ctx.n = data.length - whole;
  },
  save(ctx) {
    const out = Buffer.alloc(STATE_BYTES + ctx.n);
    ctx.h.forEach((word, i) => out.writeUInt32BE(word >>> 0, 4 * i));
    out.writeBigUInt64BE(BigInt(ctx.bytes), 32);
    out.set(ctx.buf.subarray(0, ctx.n), STATE_BYTES);
    return out;
  },
  digest(ctx) {
    const bits = BigInt(ctx.bytes) * 8n;
    const padLength = ctx.n < 56 ? 56 - ctx.n : 120 - ctx.n;
    const tail = Buffer.alloc(padLength + 8);
    tail[0] = 0x80;
    tail.writeBigUInt64BE(bits, padLength);
    const bytes = ctx.bytes;
    javascript.update(ctx, tail);
    ctx.bytes = bytes;
    const out = Buffer.alloc(32);
    ctx.h.forEach((word, i) => out.writeUInt32BE(word >>> 0, 4 * i));
    return out;
  },
};

/** The native implementation when built and not refused; the JavaScript one otherwise. */
function load({ preferJavaScript = false } = {}) {
  if (!preferJavaScript) {
    try {
      const addon = require('./build/Release/ferry_sha256.node');
      const { create, update, save, digest } = addon;
      return { name: 'native', create, update, save, digest };
    } catch {
      // Not built on this machine (no compiler): fall through.
    }
  }
  return javascript;
}

module.exports = { load, STATE_BYTES };
