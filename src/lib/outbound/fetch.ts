import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIPv4 } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isIpLiteral } from './address';
import { addressRefusal, type OutboundPolicy } from './policy';
import { hostOf, OutboundError, parseOutboundUrl, redactUrl } from './url';

export interface OutboundRequest {
  /** @default "POST" with a body, else "GET" */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  /** The whole exchange: connecting, sending, the answer's last byte. @default 10000 */
  timeoutMs?: number;
  /** Largest answer body read; a longer one fails the call (`too_large`). @default 1 MiB */
  maxResponseBytes?: number;
  /** Aborts the call (activity cancellation); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The one way Ferry calls a URL it was given (webhooks, validators). The host
 * is resolved first and every address it resolves to is judged by the
 * policy; the connection then goes to those checked addresses only (a second
 * resolution could answer differently: DNS rebinding), TLS still verifies the
 * certificate against the host name. Redirects are never followed: a 3xx is
 * returned as the answer. Throws OutboundError; messages carry the redacted
 * URL only.
 */
export async function outboundFetch(
  url: string,
  init: OutboundRequest,
  policy: OutboundPolicy,
): Promise<OutboundResponse> {
  const u = parseOutboundUrl(url);
  const host = hostOf(u);
  const addresses = await resolveChecked(host, policy);
  return await exchange(u, host, addresses, init);
}

/** Every address the host stands for, each allowed by the policy; else a `refused` OutboundError. */
async function resolveChecked(host: string, policy: OutboundPolicy): Promise<LookupAddress[]> {
  let found: LookupAddress[];
  if (isIpLiteral(host)) {
    found = [{ address: host, family: isIPv4(host) ? 4 : 6 }];
  } else {
    try {
      found = await dns.lookup(host, { all: true, verbatim: true });
    } catch (err) {
      throw new OutboundError(
        'unreachable',
        `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
  }
  for (const { address } of found) {
    const refusal = addressRefusal(host, address, policy);
    if (refusal !== undefined) {
      throw new OutboundError('refused', host === address ? refusal : `${host} resolves to ${refusal}`);
    }
  }
  return found;
}

/** A `lookup` for net.connect that answers with the addresses already checked, never asking DNS again. */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_host, options, callback) => {
    const fit = addresses.filter((a) => !options.family || a.family === options.family);
    const first = fit[0];
    if (!first) {
      callback(new OutboundError('unreachable', `no IPv${options.family} address`), []);
    } else if (options.all) {
      callback(null, fit);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function exchange(
  u: URL,
  host: string,
  addresses: LookupAddress[],
  init: OutboundRequest,
): Promise<OutboundResponse> {
  const where = redactUrl(u);
  const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limit = init.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const transport = u.protocol === 'https:' ? https : http;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const req = transport.request({
      hostname: host,
      port: u.port || undefined,
      path: `${u.pathname}${u.search}`,
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: init.headers,
      auth: u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined,
      lookup: pinnedLookup(addresses),
      // A fresh connection per call: a pooled socket could belong to an earlier resolution.
      agent: false,
    });
    const onAbort = () => req.destroy(init.signal?.reason as Error);
    const timer = setTimeout(
      () => req.destroy(new OutboundError('timeout', `${where} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = (err: Error | undefined, res?: OutboundResponse) => {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onAbort);
      if (res) resolve(res);
      else reject(describeError(err, where, init.signal));
    };
    init.signal?.addEventListener('abort', onAbort, { once: true });
    if (init.signal?.aborted) onAbort();
    req.on('error', (err) => settle(err));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.destroy(new OutboundError('too_large', `${where} answered more than ${limit} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => settle(err));
      res.on('end', () =>
        settle(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    sendBody(req, init.body).catch((err: unknown) => req.destroy(err as Error));
  });
}

async function sendBody(req: http.ClientRequest, body: OutboundRequest['body']): Promise<void> {
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
    req.end(body);
    return;
  }
  await pipeline(body, req);
}

function describeError(err: Error | undefined, where: string, signal: AbortSignal | undefined): Error {
  if (err instanceof OutboundError) return err;
  if (err && signal?.aborted && err === signal.reason) return err;
  return new OutboundError('unreachable', `${where} unreachable: ${err?.message ?? 'connection closed'}`);
}
