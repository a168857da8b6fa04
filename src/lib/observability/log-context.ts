import { AsyncLocalStorage } from 'node:async_hooks';
import { workflowIds } from '../../workflows/contract';

/** The identifiers a log line is about: its workflow and the job's own row. */
export type LogFields = Record<string, string>;

/** The fields a job's input or a request's path may name, in the words the logs use. */
const JOB_ID_FIELDS = ['serverId', 'transferId', 'uploadId', 'exportId', 'batchId', 'eventId'] as const;

const storage = new AsyncLocalStorage<LogFields>();

/**
 * Runs `fn` with `fields` added to every log line written within it (and
 * within whatever it awaits): the logger (lib/logger.ts) reads them back.
 */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

export function logContext(): LogFields | undefined {
  return storage.getStore();
}

/** The job IDs an activity's input names (`{ transferId }`, `{ serverId, transferIds }`, …). */
export function jobIdsOf(input: unknown): LogFields {
  if (typeof input !== 'object' || input === null) return {};
  const fields: LogFields = {};
  for (const key of JOB_ID_FIELDS) {
    const value = (input as Record<string, unknown>)[key];
    if (typeof value === 'string') fields[key] = value;
  }
  return fields;
}

/**
 * Path segments of the API that name a job's row: the log fields for the ID
 * that follows, with its workflow where the ID alone determines it.
 */
const ROUTE_FIELDS: Record<string, (id: string) => LogFields> = {
  servers: (id) => ({ serverId: id }),
  transfers: (id) => ({ transferId: id }),
  uploads: (id) => ({ uploadId: id, workflowId: workflowIds.upload(id) }),
  exports: (id) => ({ exportId: id, workflowId: workflowIds.export(id) }),
  batches: (id) => ({ batchId: id, workflowId: workflowIds.exportBatch(id) }),
  events: (id) => ({ eventId: id }),
  jobs: (id) => ({ workflowId: id }),
};

/** `/v1/servers/abc/scan` → `{ serverId: 'abc' }`: the job a request is about, from its path. */
export function jobIdsOfPath(path: string): LogFields {
  const [, version, resource, id] = path.split('/');
  const fields = version === 'v1' && resource ? ROUTE_FIELDS[resource] : undefined;
  if (!fields || !id) return {};
  try {
    return fields(decodeURIComponent(id));
  } catch {
    return {}; // a malformed escape: the route answers 400 or 404, the log line names no job
  }
}
