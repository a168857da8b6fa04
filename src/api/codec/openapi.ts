import type { Operation } from '../openapi/operation';
import { codecBody } from './schema';

const payloads = {
  payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJmaWxlIjoiYS5jc3YifQ==' }],
};

const codecOperation = (op: 'encode' | 'decode', summary: string): Operation => ({
  method: 'post',
  path: `/codec/${op}`,
  tag: 'codec',
  summary,
  description:
    "Temporal's codec-server protocol (payloads in protobuf's JSON mapping, bytes as base64), for the Web UI " +
    'and `temporal --codec-endpoint`. Without `FERRY_PAYLOAD_KEYS` payloads pass through unchanged.',
  body: { schema: codecBody, examples: { onePayload: payloads } },
  responses: { 200: { description: `The payloads, ${op}d, in the same order.`, example: payloads } },
});

/** /codec/* in /openapi.json. */
export const codecOperations: Operation[] = [
  codecOperation('encode', 'Encrypt payloads with the newest key of FERRY_PAYLOAD_KEYS'),
  codecOperation('decode', 'Decrypt payloads'),
];
