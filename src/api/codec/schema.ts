import { z } from 'zod';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/**
 * The Temporal codec-server protocol: payloads in protobuf's JSON mapping,
 * bytes as base64. The Web UI and `temporal --codec-endpoint` send this.
 */
export const codecBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(10_000),
});

export type JsonPayload = z.infer<typeof codecBody>['payloads'][number];
