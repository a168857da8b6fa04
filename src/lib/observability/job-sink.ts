import type { InjectedSinks } from '@temporalio/worker';
import type { JobSinks } from '../../workflows/observe';
import { jobMetrics } from './worker-metrics';

/** Workflow types by the job kind the view "Job" and the API call them; others keep their type's name. */
const KIND_OF_WORKFLOW: Record<string, string> = {
  transferFile: 'transfer',
  transferBatch: 'transfer-batch',
  scanServer: 'scan',
  uploadLifecycle: 'upload',
  exportArchive: 'export',
  exportBatch: 'batch',
  handleEvent: 'event',
};

/** Where the workflow interceptor (src/workflows/observe.ts) reports how each job ended. */
export const jobSinks: InjectedSinks<JobSinks> = {
  jobs: {
    ended: {
      fn(info, outcome, bytes) {
        const kind = KIND_OF_WORKFLOW[info.workflowType] ?? info.workflowType;
        jobMetrics.ended.inc({ kind, outcome });
        // startTime is the first run's: a scan that continued as new counts from its beginning.
        jobMetrics.duration.observe({ kind, outcome }, (Date.now() - info.startTime.getTime()) / 1000);
        if (kind === 'transfer' && bytes !== undefined) {
          jobMetrics.transferredBytes.inc({ outcome }, bytes);
          jobMetrics.transferSize.observe({ outcome }, bytes);
        }
      },
      // Replaying a history re-runs the workflow code, not the job: count each end once.
      callDuringReplay: false,
    },
  },
};
