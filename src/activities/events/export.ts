import { createHash } from 'node:crypto';
import { eventExportId } from '../../lib/event-identity';
import { bucketAllowed } from '../../lib/storage-policy';
import { Failure, nonRetryable, type ExportInput } from '../../workflows/contract';
import type { ActivityDeps } from '../deps';

interface ExportSettings {
  serverId: string;
  directory: string;
  archiveName: string;
  compression: 'store' | 'deflate';
  validator?: { url: string; timeoutSeconds: number };
  overwrite: boolean;
}

/** `{name}` and `{base}` of the object's file name. */
function archiveNameFor(template: string, key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const base = dot > 0 ? name.slice(0, dot) : name;
  return template.replaceAll('{name}', name).replaceAll('{base}', base);
}

/**
 * A route's export action: the `exportArchive` input for the one object the
 * event names (its key was refused at ingest unless already in normal form,
 * so the export reads exactly what the client wrote and nothing else).
 */
export function createEventExport({ db, config }: ActivityDeps) {
  return {
    async prepareEventExport({
      eventId,
      routeId,
    }: {
      eventId: string;
      routeId: string;
    }): Promise<ExportInput> {
      const [event, route] = await Promise.all([
        db.event.findUnique({ where: { id: eventId } }),
        db.route.findUnique({ where: { id: routeId } }),
      ]);
      if (!event) throw nonRetryable(Failure.EventNotFound, `event ${eventId} does not exist`);
      if (!route || route.action !== 'export') {
        throw nonRetryable(Failure.RouteActionInvalid, `route ${routeId} is gone or no longer exports`);
      }
      if (event.kind !== 's3' || !event.bucket || !event.objectKey) {
        throw nonRetryable(Failure.RouteActionInvalid, `event ${eventId} names no object to export`);
      }
      if (!bucketAllowed(config, event.bucket)) {
        throw nonRetryable(
          Failure.RouteActionInvalid,
          `bucket ${event.bucket} is not in FERRY_ALLOWED_BUCKETS`,
        );
      }
      const s = route.settings as unknown as ExportSettings;
      const input: Omit<ExportInput, 'requestHash'> = {
        exportId: eventExportId(event.workflowId, route.id),
        sources: { bucket: event.bucket, keys: [event.objectKey] },
        layout: { mode: 'flatten' },
        archiveName: archiveNameFor(s.archiveName, event.objectKey),
        compression: s.compression,
        ...(s.validator ? { validator: { ...s.validator, signed: false } } : {}),
        target: { serverId: s.serverId, directory: s.directory },
        overwrite: s.overwrite,
      };
      const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
      return { ...input, requestHash };
    },
  };
}
