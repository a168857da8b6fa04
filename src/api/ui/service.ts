import type { Server, Transfer } from '../../generated/prisma/client';
import { workflowIds, type Progress } from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import type { JobRow } from '../jobs/service';
import { liveProgress } from '../temporal';

/** How many rows each table of the page shows at most. */
const ROWS = 50;
/** How long the page waits for each of Temporal's answers before showing what the database says. */
const TEMPORAL_DEADLINE_MS = 1_500;

export interface LastScan {
  workflowId: string;
  status: string;
  startedAt: Date;
  closedAt: Date | null;
}

export interface ServerStatus {
  server: Server;
  /** Transfers of the server by status. */
  counts: Record<string, number>;
  /** null: no scan yet; undefined: Temporal did not answer in time. */
  lastScan: LastScan | null | undefined;
}

export interface RunningTransfer {
  row: Transfer & { server: { name: string } };
  /** The workflow's own progress, or the row's checkpointed bytes when no worker answered in time. */
  progress: Progress;
}

export interface FailedJob extends JobRow {
  /** The remote file, for a transfer. */
  remotePath: string | null;
}

export interface StatusPage {
  servers: ServerStatus[];
  running: RunningTransfer[];
  failures: FailedJob[];
  inFlight: JobRow[];
}

export async function statusPage(deps: ApiDeps): Promise<StatusPage> {
  const [servers, running, failures, inFlight] = await Promise.all([
    serverStatuses(deps),
    runningTransfers(deps),
    recentFailures(deps),
    // Running transfers have their own table; queued ones (discovered files) can be thousands.
    deps.db.$queryRaw<JobRow[]>`
      SELECT * FROM "Job" WHERE "status" IN ('queued', 'running') AND "kind" <> 'transfer'
       ORDER BY "createdAt" DESC LIMIT ${ROWS}`,
  ]);
  return { servers, running, failures, inFlight };
}

async function serverStatuses(deps: ApiDeps): Promise<ServerStatus[]> {
  const servers = await deps.db.server.findMany({ orderBy: { name: 'asc' }, take: ROWS });
  const groups = await deps.db.transfer.groupBy({
    by: ['serverId', 'status'],
    where: { serverId: { in: servers.map((s) => s.id) } },
    _count: { _all: true },
  });
  return await Promise.all(
    servers.map(async (server) => ({
      server,
      counts: Object.fromEntries(
        groups.filter((g) => g.serverId === server.id).map((g) => [g.status, g._count._all]),
      ),
      lastScan: await lastScan(deps, server.id),
    })),
  );
}

/** The newest scan of the server, scheduled (`ferry-scan-<id>-<time>`) or asked for (`ferry-scan-<id>`). */
async function lastScan({ temporal, log }: ApiDeps, serverId: string): Promise<LastScan | null | undefined> {
  const prefix = workflowIds.scan(serverId);
  try {
    return await temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, async () => {
      const query = `WorkflowType = 'scanServer' AND WorkflowId STARTS_WITH '${prefix}'`;
      for await (const w of temporal.workflow.list({ query, pageSize: 1 })) {
        return {
          workflowId: w.workflowId,
          status: w.status.name,
          startedAt: w.startTime,
          closedAt: w.closeTime ?? null,
        };
      }
      return null;
    });
  } catch (err) {
    log.debug({ err, serverId }, 'Temporal did not list the server’s scans');
    return undefined;
  }
}

async function runningTransfers(deps: ApiDeps): Promise<RunningTransfer[]> {
  const rows = await deps.db.transfer.findMany({
    where: { status: 'running' },
    orderBy: { startedAt: 'asc' },
    take: ROWS,
    include: { server: { select: { name: true } } },
  });
  return await Promise.all(
    rows.map(async (row) => ({
      row,
      progress: (await liveProgress(deps.temporal, deps.log, row.workflowId, TEMPORAL_DEADLINE_MS)) ?? {
        done: Number(row.bytesDone),
        total: Number(row.size),
        phase: 'running',
      },
    })),
  );
}

async function recentFailures({ db }: ApiDeps): Promise<FailedJob[]> {
  return await db.$queryRaw<FailedJob[]>`
    SELECT j.*, t."remotePath"
      FROM "Job" j LEFT JOIN "Transfer" t ON j."kind" = 'transfer' AND t."id"::text = j."refId"
     WHERE j."status" = 'failed'
     ORDER BY coalesce(j."finishedAt", j."updatedAt") DESC LIMIT ${ROWS}`;
}
