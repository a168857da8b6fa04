import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { parse } from '../validate';
import { presentJob, presentJobDetail } from './present';
import { jobIdParam, listJobsQuery } from './schema';
import { cancelJob, findJob, inspectWorkflow, listJobs } from './service';

/**
 * /v1/jobs (docs/exports.md, "The jobs API"): every kind of job (transfers, uploads, exports,
 * batches) in one list, read from each kind's own row through the view "Job";
 * a job's ID is its workflow ID.
 */
export function jobRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/jobs', async (req, res) => {
    const q = parse(listJobsQuery, req.query, 'query');
    const { jobs, nextCursor } = await listJobs(deps, q);
    res.json({ jobs: jobs.map(presentJob), nextCursor });
  });

  router.get('/jobs/:id', async (req, res) => {
    const row = await findJob(deps, jobIdParam(req.params.id));
    const { workflow, progress } = await inspectWorkflow(deps, row);
    res.json(presentJobDetail(row, workflow, progress));
  });

  router.delete('/jobs/:id', async (req, res) => {
    const row = await findJob(deps, jobIdParam(req.params.id));
    const { cancelRequested } = await cancelJob(deps, row);
    const status = cancelRequested ? 202 : 200;
    res.status(status).json({ ...presentJob(row), cancelRequested });
  });

  return router;
}
