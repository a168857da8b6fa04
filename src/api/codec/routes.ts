import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { Router, type RequestHandler } from 'express';
import { ValidationError } from '../../lib/errors';
import { AesGcmPayloadCodec } from '../../lib/payload-codec';
import { requireBearer } from '../auth';
import { hasSession } from '../session';
import type { ApiDeps } from '../deps';
import { parse } from '../validate';
import { codecBody, type JsonPayload } from './schema';

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v ?? new Uint8Array()).toString('base64'),
      ]),
    ),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  };
}

/** The Web UI calls from its own origin (a preflight first); only configured origins may. */
function cors(origins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.header('origin');
    if (origin && origins.includes(origin)) {
      res.vary('Origin');
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, x-namespace');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

const passThrough: PayloadCodec = {
  encode: (payloads) => Promise.resolve(payloads),
  decode: (payloads) => Promise.resolve(payloads),
};

/**
 * /codec/encode and /codec/decode: lets people holding an API token see the
 * payloads Ferry encrypted, in the Web UI (its codec endpoint setting) or
 * with `temporal workflow show --codec-endpoint … --codec-auth "Bearer …"`.
 * Without FERRY_PAYLOAD_KEYS payloads are in clear and pass through.
 */
export function codecRoutes({ config }: ApiDeps): Router {
  const router = Router();
  const codec = config.payloadKeys.length > 0 ? new AesGcmPayloadCodec(config.payloadKeys) : passThrough;
  const bearer = requireBearer(config.API_TOKENS);
  // The Web UI sends no bearer token; with "include cross-origin credentials"
  // on, it sends the status page's session cookie (docs/security.md).
  const bearerOrSession: RequestHandler = (req, res, next) =>
    hasSession(config.API_TOKENS, req) ? next() : bearer(req, res, next);
  router.use('/codec', cors(config.codecCorsOrigins), bearerOrSession);
  const json = express.json({ limit: '8mb' });
  for (const op of ['encode', 'decode'] as const) {
    router.post(`/codec/${op}`, json, async (req, res) => {
      const { payloads } = parse(codecBody, req.body ?? {});
      // A payload of an unknown key, or tampered with, is the request's fault.
      const out = await codec[op](payloads.map(fromJson)).catch((err: unknown) => {
        throw new ValidationError(`cannot ${op} payloads: ${(err as Error).message}`);
      });
      res.json({ payloads: out.map(toJson) });
    });
  }
  return router;
}
