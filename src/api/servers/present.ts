import type { Server } from '../../generated/prisma/client';
import { workflowIds } from '../../workflows/contract';

/**
 * A server as the API shows it. Built field by field (never by spreading the
 * row) so an encrypted secret can never leak into a response: secrets are
 * reported only as `has…` flags.
 */
export function presentServer(s: Server) {
  return {
    id: s.id,
    name: s.name,
    host: s.host,
    port: s.port,
    username: s.username,
    hasPassword: s.passwordEnc !== null,
    hasPrivateKey: s.privateKeyEnc !== null,
    hostKeyFingerprint: s.hostKeyFingerprint,
    remoteDir: s.remoteDir,
    recursive: s.recursive,
    include: s.include,
    exclude: s.exclude,
    minAgeSeconds: s.minAgeSeconds,
    scanIntervalSeconds: s.scanIntervalSeconds,
    bucket: s.bucket,
    keyPrefix: s.keyPrefix,
    afterTransfer: s.afterTransfer,
    archiveDir: s.archiveDir,
    webhookUrl: s.webhookUrl,
    hasWebhookSecret: s.webhookSecretEnc !== null,
    enabled: s.enabled,
    smallFiles: s.smallFiles,
    scheduleId: workflowIds.scanSchedule(s.id),
    scanWorkflowId: workflowIds.scan(s.id),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** A server as it travels in JSON (dates as ISO strings): what the CLI and other clients read. */
export type ServerJson = Omit<ReturnType<typeof presentServer>, 'createdAt' | 'updatedAt'> & {
  createdAt: string;
  updatedAt: string;
};
