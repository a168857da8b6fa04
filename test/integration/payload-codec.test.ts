import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { parsePayloadKeys } from '../../src/lib/payload-codec';
import { FerryBucket } from '../../src/workflows/contract';
import { startTestApi } from '../helpers/api-client';
import {
  createTestServer,
  createTransferRow,
  startTransfer,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import type { TestDeps } from '../helpers/deps';

type History = temporal.api.history.v1.IHistory;
const oldKey = `k1:${randomBytes(32).toString('base64')}`;
const newKey = `k2:${randomBytes(32).toString('base64')}`;

/**
 * Every byte of a history as text, as anyone reading Temporal's database
 * would see it. Walked by hand: JSON.stringify would show payload bytes as
 * base64, where a path in clear would go unnoticed.
 */
function rawText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (Array.isArray(value)) return value.map(rawText).join('\n');
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${rawText(v)}`)
      .join('\n');
  }
  return String(value);
}

/** The history through a client that has no codec: what the Temporal server stores. */
async function storedHistory(deps: TestDeps, workflowId: string): Promise<History> {
  const plain = new Client({
    connection: deps.temporal.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
  });
  return await plain.workflow.getHandle(workflowId).fetchHistory();
}

async function bucketAttribute(deps: TestDeps, workflowId: string): Promise<string | undefined> {
  const description = await deps.temporal.workflow.getHandle(workflowId).describe();
  return description.typedSearchAttributes.get(FerryBucket);
}

/** One transfer that completes and one whose file is gone (its failure names the path). */
async function runTransfers(deps: TestDeps, title: string) {
  const server = await createTestServer(deps);
  const dir = `codec ${randomBytes(4).toString('hex')}`;
  writeRandomFile(server, `${dir}/confidential-report.csv`, 2048);
  writeRandomFile(server, `${dir}/vanishing-ledger.csv`, 1024);
  const ok = await createTransferRow(deps, server, `${dir}/confidential-report.csv`);
  const gone = await createTransferRow(deps, server, `${dir}/vanishing-ledger.csv`);
  await deps.db.transfer.update({ where: { id: gone.id }, data: { size: 999 } });
  const taskQueue = taskQueueFor(title);
  await withWorker(deps, taskQueue, async () => {
    await (await startTransfer(deps, ok, taskQueue)).result();
    await assert.rejects((await startTransfer(deps, { ...gone, size: 999n }, taskQueue)).result());
  });
  return { ok, gone, dir };
}

describe('payload encryption', () => {
  const clear = useTransferDeps();
  const encrypted = useTransferDeps({ FERRY_PAYLOAD_KEYS: oldKey });

  it('without keys, histories hold paths and keys in clear (the control)', async (t) => {
    const { ok, gone, dir } = await runTransfers(clear, t.name);
    const text =
      rawText(await storedHistory(clear, ok.workflowId)) +
      rawText(await storedHistory(clear, gone.workflowId));
    assert.ok(text.includes(dir), 'the control run should show the directory in clear');
    assert.equal(await bucketAttribute(clear, ok.workflowId), ok.bucket);
  });

  it('with keys, no path, key or bucket name is stored in clear, and the codec endpoint decodes them', async (t) => {
    const { ok, gone, dir } = await runTransfers(encrypted, t.name);
    const histories = [
      await storedHistory(encrypted, ok.workflowId),
      await storedHistory(encrypted, gone.workflowId),
    ];
    const text = histories.map(rawText).join('\n');
    for (const secret of [dir, 'confidential-report', 'vanishing-ledger', ok.objectKey, ok.bucket]) {
      assert.ok(!text.includes(secret), `"${secret}" stored in clear`);
    }
    assert.ok(text.includes('binary/encrypted'));
    // Search attributes are indexed in clear: with the codec on, no FerryBucket.
    assert.equal(await bucketAttribute(encrypted, ok.workflowId), undefined);

    const failed = histories[1]?.events?.find((e) => e.workflowExecutionFailedEventAttributes);
    const encoded = failed?.workflowExecutionFailedEventAttributes?.failure?.encodedAttributes;
    assert.ok(encoded, 'the failure message travels as an encoded payload');
    const payload = {
      metadata: Object.fromEntries(
        Object.entries(encoded.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(encoded.data ?? []).toString('base64'),
    };

    // Rotated: k2 writes now, k1 (which wrote these histories) still decodes.
    const rotated = await startTestApi({
      ...encrypted,
      config: { ...encrypted.config, ...keysOf(`${newKey},${oldKey}`) },
    });
    try {
      const answer = await rotated.call<{ payloads: { data: string }[] }>('POST', '/codec/decode', {
        json: { payloads: [payload] },
      });
      assert.equal(answer.status, 200, answer.text);
      const decoded = Buffer.from(answer.body.payloads[0]?.data ?? '', 'base64').toString();
      assert.match(decoded, /vanishing-ledger/);

      const anonymous = await rotated.call('POST', '/codec/decode', {
        json: { payloads: [payload] },
        token: null,
      });
      assert.equal(anonymous.status, 401);
    } finally {
      await rotated.close();
    }

    const withoutOldKey = await startTestApi({
      ...encrypted,
      config: { ...encrypted.config, ...keysOf(newKey) },
    });
    try {
      const answer = await withoutOldKey.call('POST', '/codec/decode', { json: { payloads: [payload] } });
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.body.error.message, /unknown key "k1"/);
    } finally {
      await withoutOldKey.close();
    }
  });
});

function keysOf(spec: string) {
  return { payloadKeys: parsePayloadKeys(spec) };
}
