import { readFileSync } from 'node:fs';
import path from 'node:path';
import { batchOperations } from '../batches/openapi';
import { codecOperations } from '../codec/openapi';
import { eventRouteOperations } from '../event-routes/openapi';
import { eventOperations } from '../events/openapi';
import { exportOperations } from '../exports/openapi';
import { healthOperations } from '../health/openapi';
import { jobOperations } from '../jobs/openapi';
import { serverOperations } from '../servers/openapi';
import { transferOperations } from '../transfers/openapi';
import { uiOperations } from '../ui/openapi';
import { uploadOperations } from '../uploads/openapi';
import { openApiDocument } from './document';
import type { Operation } from './operation';
import { docsOperations } from './routes';

/** Every route of the API as /openapi.json describes it; each resource keeps its own list in its openapi.ts. */
export const allOperations: readonly Operation[] = [
  ...healthOperations,
  ...docsOperations,
  ...codecOperations,
  ...serverOperations,
  ...transferOperations,
  ...uploadOperations,
  ...exportOperations,
  ...batchOperations,
  ...jobOperations,
  ...eventOperations,
  ...eventRouteOperations,
  ...uiOperations,
];

/** The document GET /openapi.json serves, versioned as the package is. */
export function ferryOpenApiDocument(): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
    version: string;
  };
  return openApiDocument(allOperations, pkg.version);
}
