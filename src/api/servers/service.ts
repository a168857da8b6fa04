import { WorkflowNotFoundError } from '@temporalio/client';
import type { Server } from '../../generated/prisma/client';
import { isRecordNotFound, isUniqueViolation } from '../../lib/db';
import { ConflictError, FerryError, NotFoundError, ValidationError } from '../../lib/errors';
import { assertBucketAllowed, assertKeyNotReserved } from '../../lib/storage-policy';
import { ferrySearchAttributes, searchBucket, workflowIds, type ScanInput } from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { assertOutboundUrl } from '../outbound';
import { temporalUnavailable } from '../temporal';
import { createData, updateData } from './data';
import { createScanSchedule, deleteScanSchedule, updateScanSchedule } from './schedule';
import type { CreateServerBody, PatchServerBody } from './schema';

export interface ScanRequested {
  serverId: string;
  workflowId: string;
  runId: string;
}

/**
 * Registered SFTP servers (docs/ingest.md). The row and its Temporal Schedule
 * are kept consistent: a row exists only with its schedule (creation is
 * undone when Temporal refuses), a PATCH commits only once the schedule took
 * it, and a DELETE removes the schedule before the row, so a repeated DELETE
 * finishes whatever a failed one left.
 */
export function createServerService({ config, db, temporal, log }: Omit<ApiDeps, 's3'>) {
  const taskQueue = config.TEMPORAL_TASK_QUEUE;

  function nameTaken(err: unknown, name: string | undefined): unknown {
    return isUniqueViolation(err) ? new ConflictError(`a server named "${name}" already exists`) : err;
  }

  async function get(id: string): Promise<Server> {
    const server = await db.server.findUnique({ where: { id } });
    if (!server) throw new NotFoundError('server', id);
    return server;
  }

  /** Rules that depend on the configuration: where objects may go, how often a server may be scanned. */
  function checkLimits(body: PatchServerBody): void {
    assertOutboundUrl('webhookUrl', body.webhookUrl, config.outbound);
    if (body.bucket !== undefined) assertBucketAllowed(config, 'bucket', body.bucket);
    if (body.keyPrefix !== undefined) assertKeyNotReserved(config, 'keyPrefix', body.keyPrefix);
    const floor = config.SCAN_INTERVAL_MIN_SECONDS;
    if (body.scanIntervalSeconds !== undefined && body.scanIntervalSeconds < floor) {
      throw new ValidationError(`scanIntervalSeconds must be at least ${floor} (SCAN_INTERVAL_MIN_SECONDS)`, [
        { path: 'scanIntervalSeconds', message: `must be at least ${floor}` },
      ]);
    }
  }

  async function create(body: CreateServerBody): Promise<Server> {
    checkLimits(body);
    let server: Server;
    try {
      server = await db.server.create({ data: createData(config.secretKey, body) });
    } catch (err) {
      throw nameTaken(err, body.name);
    }
    try {
      await createScanSchedule(temporal, config, server);
    } catch (err) {
      await db.server.delete({ where: { id: server.id } });
      throw err;
    }
    log.info({ serverId: server.id, name: server.name }, 'server registered');
    return server;
  }

  /** The schedule is rewritten inside the transaction: if Temporal refuses, the row is not changed either. */
  async function update(id: string, body: PatchServerBody): Promise<Server> {
    checkLimits(body);
    let server: Server;
    try {
      server = await db.$transaction(
        async (tx) => {
          // Locked, then read: the cross-field rules (a credential left, an archive for "move") are
          // checked on the row as it is, not as it was before a concurrent PATCH changed it.
          await tx.$queryRaw`SELECT id FROM "Server" WHERE id = ${id}::uuid FOR UPDATE`;
          const current = await tx.server.findUnique({ where: { id } });
          if (!current) throw new NotFoundError('server', id);
          const row = await tx.server.update({
            where: { id },
            data: updateData(config.secretKey, current, body),
          });
          await updateScanSchedule(temporal, config, row);
          return row;
        },
        { timeout: 15_000 },
      );
    } catch (err) {
      if (err instanceof FerryError) throw err;
      throw isRecordNotFound(err) ? new NotFoundError('server', id) : nameTaken(err, body.name);
    }
    log.info({ serverId: server.id, fields: Object.keys(body) }, 'server updated');
    return server;
  }

  async function remove(id: string): Promise<void> {
    const server = await get(id);
    const running = await db.transfer.count({ where: { serverId: server.id, status: 'running' } });
    if (running > 0) {
      throw new ConflictError(
        `server ${server.id} has ${running} transfer(s) running; cancel them (DELETE /v1/transfers/:id) or wait`,
        { running },
      );
    }
    await deleteScanSchedule(temporal, server.id);
    await cancelScan(server.id);
    try {
      await db.server.delete({ where: { id: server.id } });
    } catch (err) {
      // A concurrent DELETE got there first.
      throw isRecordNotFound(err) ? new NotFoundError('server', server.id) : err;
    }
    log.info({ serverId: server.id }, 'server deleted');
  }

  /**
   * Starts the canonical scan `ferry-scan-<serverId>` directly rather than
   * `scheduleHandle.trigger()`: USE_EXISTING makes a request during a running
   * scan join that scan (one per server at a time), and the answer carries the
   * real workflow and run IDs, which trigger() cannot give.
   */
  async function scan(id: string): Promise<ScanRequested> {
    const server = await get(id);
    if (!server.enabled) {
      throw new ConflictError(`server ${server.id} is disabled; enable it (PATCH {"enabled": true}) to scan`);
    }
    const input: ScanInput = { serverId: server.id };
    let handle;
    try {
      handle = await temporal.workflow.start('scanServer', {
        taskQueue,
        workflowId: workflowIds.scan(server.id),
        args: [input],
        typedSearchAttributes: ferrySearchAttributes({
          kind: 'scan',
          serverId: server.id,
          bucket: searchBucket(config, server.bucket),
        }),
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    } catch (err) {
      throw temporalUnavailable('could not start the scan in Temporal', err);
    }
    log.info({ serverId: server.id, workflowId: handle.workflowId }, 'scan requested');
    return { serverId: server.id, workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  async function cancelScan(serverId: string): Promise<void> {
    try {
      await temporal.workflow.getHandle(workflowIds.scan(serverId)).cancel();
    } catch (err) {
      // No scan running is the usual case.
      if (err instanceof WorkflowNotFoundError) return;
      throw temporalUnavailable('could not cancel the running scan in Temporal', err);
    }
  }

  const list = (): Promise<Server[]> => db.server.findMany({ orderBy: { name: 'asc' } });

  return { create, list, get, update, remove, scan };
}
