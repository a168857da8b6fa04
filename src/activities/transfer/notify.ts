import type { Server, Transfer } from '../../generated/prisma/client';
import type { Config } from '../../config';
import { sealedIn } from '../../lib/sealed-fields';
import { decryptSecret } from '../../lib/secrets';
import { callWebhook } from '../../lib/webhook';

export type TransferEvent = 'transfer.completed' | 'transfer.failed';

/** Calls the server's webhook (HMAC-signed with its secret, if any) with the row's outcome. */
export async function notifyRow(
  config: Pick<Config, 'secretKey' | 'outbound'>,
  row: Transfer & { server: Server },
  event: TransferEvent,
): Promise<void> {
  const { server } = row;
  if (!server.webhookUrl) return;
  const secret = server.webhookSecretEnc
    ? decryptSecret(
        config.secretKey,
        server.webhookSecretEnc,
        sealedIn('Server', server.id, 'webhookSecretEnc'),
      )
    : undefined;
  await callWebhook(
    server.webhookUrl,
    secret,
    {
      event,
      transferId: row.id,
      workflowId: row.workflowId,
      ...(row.batchWorkflowId ? { batchWorkflowId: row.batchWorkflowId } : {}),
      serverId: row.serverId,
      remotePath: row.remotePath,
      size: Number(row.size),
      mtimeMs: Number(row.mtimeMs),
      bucket: row.bucket,
      objectKey: row.objectKey,
      sha256: row.sha256,
      status: row.status,
      error: row.error,
    },
    { policy: config.outbound },
  );
}
