import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import type { Server } from '../../generated/prisma/client';
import type { ServiceUnavailableError } from '../../lib/errors';
import type { Config } from '../../config';
import { ferrySearchAttributes, searchBucket, workflowIds, type ScanInput } from '../../workflows/contract';
import { temporalUnavailable } from '../temporal';

type ScheduledServer = Pick<Server, 'id' | 'scanIntervalSeconds' | 'enabled' | 'bucket'>;
/** Where the scans run, and whether their workflows may carry the bucket (payload codec off). */
export type ScheduleTarget = Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'payloadKeys'>;

/**
 * Each server's Temporal Schedule (docs/ingest.md), derived entirely from the
 * row so that create and update write the same definition. Overlap SKIP: a
 * scheduled scan never starts while the previous scheduled one still runs.
 * Temporal appends the nominal time to the action's workflow ID; scanServer
 * hands such runs over to the canonical `ferry-scan-<serverId>` execution so
 * scheduled and API-triggered scans also exclude each other.
 */
function definition(server: ScheduledServer, target: ScheduleTarget): ScheduleUpdateOptions {
  const input: ScanInput = { serverId: server.id };
  return {
    spec: { intervals: [{ every: server.scanIntervalSeconds * 1000 }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'scanServer',
      args: [input],
      workflowId: workflowIds.scan(server.id),
      taskQueue: target.TEMPORAL_TASK_QUEUE,
      typedSearchAttributes: ferrySearchAttributes({
        kind: 'scan',
        serverId: server.id,
        bucket: searchBucket(target, server.bucket),
      }),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: {
      paused: !server.enabled,
      note: server.enabled ? 'scans enabled' : 'server disabled through the Ferry API',
    },
  };
}

function unavailable(what: string, err: unknown): ServiceUnavailableError {
  return temporalUnavailable(`could not ${what} the scan schedule in Temporal`, err);
}

export async function createScanSchedule(
  client: Client,
  target: ScheduleTarget,
  server: ScheduledServer,
): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: workflowIds.scanSchedule(server.id),
      ...definition(server, target),
    });
  } catch (err) {
    throw unavailable('create', err);
  }
}

/** Rewrites the schedule from the row; recreates it if someone deleted it behind Ferry's back. */
export async function updateScanSchedule(
  client: Client,
  target: ScheduleTarget,
  server: ScheduledServer,
): Promise<void> {
  try {
    await client.schedule
      .getHandle(workflowIds.scanSchedule(server.id))
      .update(() => definition(server, target));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return await createScanSchedule(client, target, server);
    throw unavailable('update', err);
  }
}

/** Idempotent: a schedule that is already gone is what the caller wants. */
export async function deleteScanSchedule(client: Client, serverId: string): Promise<void> {
  try {
    await client.schedule.getHandle(workflowIds.scanSchedule(serverId)).delete();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return;
    throw unavailable('delete', err);
  }
}
