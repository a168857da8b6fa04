import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, KEY_ID_METADATA, parsePayloadKeys } from '../../src/lib/payload-codec';

const keySpec = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload | undefined): unknown =>
  defaultPayloadConverter.fromPayload(payload as Payload);

describe('payload codec', () => {
  const old = keySpec('k1');
  const fresh = keySpec('k2');

  it('encrypts data and metadata so that neither shows in the stored bytes', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(old));
    const [stored] = await codec.encode([toPayload({ remotePath: '/inbox/secret report.csv' })]);
    const bytes = Buffer.from(stored?.data ?? []).toString('latin1');
    assert.ok(!bytes.includes('secret report'), 'path in clear');
    assert.ok(!bytes.includes('json/plain'), 'original encoding in clear');
    assert.equal(Buffer.from(stored?.metadata?.[KEY_ID_METADATA] ?? []).toString(), 'k1');
    assert.deepEqual(fromPayload((await codec.decode([stored as Payload]))[0]), {
      remotePath: '/inbox/secret report.csv',
    });
  });

  it('writes with the first key and still reads what an older key wrote', async () => {
    const before = new AesGcmPayloadCodec(parsePayloadKeys(old));
    const [written] = await before.encode([toPayload('written before the rotation')]);
    const rotated = new AesGcmPayloadCodec(parsePayloadKeys(`${fresh},${old}`));
    assert.equal(fromPayload((await rotated.decode([written as Payload]))[0]), 'written before the rotation');
    const [now] = await rotated.encode([toPayload('after')]);
    assert.equal(Buffer.from(now?.metadata?.[KEY_ID_METADATA] ?? []).toString(), 'k2');
  });

  it('refuses a payload of an unknown key, a tampered payload and one relabelled with another key', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(`${fresh},${old}`));
    const [stored] = await new AesGcmPayloadCodec(parsePayloadKeys(keySpec('k9'))).encode([toPayload(1)]);
    await assert.rejects(codec.decode([stored as Payload]), /unknown key "k9"/);

    const [mine] = await codec.encode([toPayload('x')]);
    const data = Buffer.from(mine?.data ?? []);
    data[20] = (data[20] ?? 0) ^ 1;
    await assert.rejects(codec.decode([{ ...mine, data }]), /unable to authenticate|auth/i);

    const relabelled = { ...mine, metadata: { ...mine?.metadata, [KEY_ID_METADATA]: Buffer.from('k1') } };
    await assert.rejects(codec.decode([relabelled]), /unable to authenticate|auth/i);
  });

  it('leaves payloads it did not encrypt alone', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(old));
    const plain = toPayload({ a: 1 });
    assert.deepEqual(await codec.decode([plain]), [plain]);
  });

  it('parses key lists and rejects malformed ones', () => {
    assert.deepEqual(parsePayloadKeys(''), []);
    assert.equal(parsePayloadKeys(` ${fresh} , ${old} `).length, 2);
    assert.throws(() => parsePayloadKeys(randomBytes(32).toString('base64')), /id:base64key/);
    assert.throws(() => parsePayloadKeys(`k1:${randomBytes(16).toString('base64')}`), /32 bytes/);
    assert.throws(() => parsePayloadKeys(`${old},${old}`), /unique/);
  });
});
