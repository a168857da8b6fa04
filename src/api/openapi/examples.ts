import { chunkIndex } from '../uploads/schema';
import { resourceIdParam } from '../params';
import type { Param } from './operation';

/** IDs the examples of /openapi.json share, so one example's answer feeds the next request. */
export const ids = {
  server: '0f5b2a2e-6c1d-4e36-9a51-3b8f0e7d4c21',
  transfer: '7d2c9f10-3a4b-4c5d-8e6f-1a2b3c4d5e6f',
  upload: 'b3e1c7a2-9d4f-4e8b-a6c5-2f1e0d9c8b7a',
  export: 'c4d5e6f7-0a1b-4c2d-9e3f-4a5b6c7d8e9f',
  batch: 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6',
  event: 'e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9',
  route: 'f0e1d2c3-b4a5-4968-8776-655443322110',
} as const;

export const timestamp = '2026-11-30T09:15:00.000Z';
export const sha256Example = '9f86d081884c7d659a9feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

/** The `{id}` of a resource's path. */
export function idParam(what: keyof typeof ids): Record<string, Param> {
  return { id: { schema: resourceIdParam, description: `The ${what}'s ID (a UUID).`, example: ids[what] } };
}

export const chunkIndexParam: Param = {
  schema: chunkIndex,
  description: 'Index of the chunk, from 0 (below 10,000).',
  example: '0',
};
