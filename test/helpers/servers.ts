import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { ServerJson } from '../../src/api/servers/present';
import { workflowIds } from '../../src/workflows/contract';
import type { scanServer, ScanResult } from '../../src/workflows/scan';
import type { TestApi } from './api-client';
import type { TestDeps } from './deps';
import { waitFor } from './wait';

import { serverBody } from '../../bench/lib/server-body';

export { serverBody };

/** A server as the API answers it (JSON). */
export type ServerAnswer = ServerJson;

/** Registers a server through the API; fails the test unless it answers 201. */
export async function registerServer(
  api: TestApi,
  overrides: Record<string, unknown> = {},
): Promise<ServerAnswer> {
  const res = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody(overrides) });
  if (res.status !== 201) throw new Error(`POST /v1/servers answered ${res.status}: ${res.text}`);
  return res.body;
}

/**
 * Terminates whatever is still open on a task queue once no worker polls it:
 * transfers started on purpose on a queue nobody serves, or a scan a schedule
 * fired just before its server was deleted. The shared dev server keeps
 * everything, so a test leaves nothing running behind.
 */
export async function terminateOpenWorkflows(client: Client, taskQueue: string): Promise<void> {
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
  let batch: string[] = [];
  const flush = async () => {
    await Promise.all(
      batch.map(async (workflowId) => {
        try {
          await client.workflow.getHandle(workflowId).terminate('test cleanup');
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }),
    );
    batch = [];
  };
  for await (const execution of client.workflow.list({ query })) {
    batch.push(execution.workflowId);
    if (batch.length === 64) await flush();
  }
  await flush();
}

/**
 * Pauses a server's schedule and waits until no scan of it runs, so a test's
 * worker can stop without leaving a scheduled scan behind it.
 */
export async function quiesceScans(client: Client, serverId: string): Promise<void> {
  const schedule = client.schedule.getHandle(workflowIds.scanSchedule(serverId));
  await schedule.pause('test over');
  // The schedule's own workflow takes requests in order and may start a trigger sent before the
  // pause a moment after it (triggers run even while paused): quiet means paused as seen by the
  // schedule, nothing running, three checks in a row half a second apart.
  let quietChecks = 0;
  await waitFor(
    `scans of ${serverId} to finish`,
    async () => {
      const quiet = await isQuiet();
      quietChecks = quiet ? quietChecks + 1 : 0;
      return quietChecks >= 3;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );

  async function isQuiet(): Promise<boolean> {
    const { state, info } = await schedule.describe();
    if (!state.paused || info.runningActions.length > 0) return false;
    try {
      const scan = await client.workflow.getHandle(workflowIds.scan(serverId)).describe();
      return scan.status.name !== 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  }
}

/** The runs of one workflow execution chain, following continue-as-new from the first run. */
export async function runChain(client: Client, workflowId: string, firstRunId: string) {
  const runs: { runId: string; events: number }[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: HistoryJson = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    runs.push({ runId, events: events.length });
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

type HistoryJson = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/**
 * The result of the first scan the server's schedule runs after `after`
 * (waits for it to finish). A scheduled run that found another scan of the
 * server running ends `skipped`; the next one is awaited instead.
 */
export async function nextScheduledScan(client: Client, serverId: string, after: Date): Promise<ScanResult> {
  const schedule = client.schedule.getHandle(workflowIds.scanSchedule(serverId));
  for (let since = after; ;) {
    const action = await waitFor(
      `a scheduled scan of ${serverId} after ${since.toISOString()}`,
      async () => (await schedule.describe()).info.recentActions.find((a) => a.takenAt > since),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const { workflowId, firstExecutionRunId } = action.action.workflow;
    const result = await client.workflow
      .getHandle<typeof scanServer>(workflowId, firstExecutionRunId)
      .result();
    if (result.outcome === 'scanned') return result;
    since = action.takenAt;
  }
}

/** When each run of an activity type ran in one workflow run: [started, completed or failed] in ms. */
export async function activitySpans(
  client: Client,
  workflowId: string,
  runId: string,
  activityType: string,
): Promise<{ start: number; end: number }[]> {
  const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => Number(e.eventId)),
  );
  const timeOf = (scheduledId: number, pick: (e: (typeof events)[number]) => unknown) =>
    tsToMs(events.find((e) => pick(e) !== undefined && Number(pick(e)) === scheduledId)?.eventTime);
  return [...scheduled].map((id) => ({
    start: timeOf(id, (e) => e.activityTaskStartedEventAttributes?.scheduledEventId ?? undefined),
    end: timeOf(
      id,
      (e) =>
        e.activityTaskCompletedEventAttributes?.scheduledEventId ??
        e.activityTaskFailedEventAttributes?.scheduledEventId ??
        undefined,
    ),
  }));
}

/**
 * Removes a test's server whatever state the test left it in: schedule first
 * (nothing new starts), then whatever still runs on the test's task queue,
 * then the row through the API, or directly when the API refuses (a failed
 * test can leave rows `running` whose workflows were just terminated).
 */
export async function cleanupServer(api: TestApi, deps: TestDeps, serverId: string, taskQueue: string) {
  try {
    await deps.temporal.schedule.getHandle(workflowIds.scanSchedule(serverId)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  await terminateOpenWorkflows(deps.temporal, taskQueue);
  const res = await api.call('DELETE', `/v1/servers/${serverId}`);
  if (res.status !== 204) await deps.db.server.deleteMany({ where: { id: serverId } });
}
