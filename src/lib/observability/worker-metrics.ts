import { Counter, Histogram, Registry } from 'prom-client';

/**
 * The worker's own metrics (docs/metrics.md), served on its /metrics next to
 * the Temporal SDK's. Module-level, like a logger: the activity interceptor
 * and the job sink write to them; one worker process has one set.
 */
export const workerRegistry = new Registry();

/** Seconds: from a quick database write to a multi-hour transfer. */
const DURATION_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];
/** Bytes: 4 KiB to 64 GiB, by powers of 8. */
const SIZE_BUCKETS = Array.from({ length: 9 }, (_, i) => 4096 * 8 ** i);

export const activityMetrics = {
  duration: new Histogram({
    name: 'ferry_activity_duration_seconds',
    help: 'Time one activity attempt ran, by activity type and outcome (completed, failed, cancelled).',
    labelNames: ['activity', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [workerRegistry],
  }),
};

export const jobMetrics = {
  ended: new Counter({
    name: 'ferry_jobs_ended_total',
    help: 'Jobs (workflows) that ended on this worker, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [workerRegistry],
  }),
  duration: new Histogram({
    name: 'ferry_job_duration_seconds',
    help: 'Time from a job’s start to its end, across retries and continue-as-new, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [workerRegistry],
  }),
  transferredBytes: new Counter({
    name: 'ferry_transferred_bytes_total',
    help: 'Bytes of the files that transfer jobs stored (completed) or found already stored (skipped).',
    labelNames: ['outcome'] as const,
    registers: [workerRegistry],
  }),
  transferSize: new Histogram({
    name: 'ferry_transfer_size_bytes',
    help: 'Size of each file a transfer job stored or skipped.',
    labelNames: ['outcome'] as const,
    buckets: SIZE_BUCKETS,
    registers: [workerRegistry],
  }),
};

/** Rows the retention clean-up deleted (docs/retention.md), by table. */
export const recordsPruned = new Counter({
  name: 'ferry_records_pruned_total',
  help: 'Rows of finished work the retention clean-up deleted, by table.',
  labelNames: ['table'] as const,
  registers: [workerRegistry],
});
