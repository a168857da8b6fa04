import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app';
import { listen } from '../../src/api/listen';
import type { ApiDeps } from '../../src/api/deps';
import { TEST_TOKEN } from './env';

/** The body of every error answer (README, "API"). */
export interface ErrorAnswer {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}

export interface ApiAnswer<T> {
  status: number;
  /** Parsed JSON as the caller expects it to be (tests assert on it), undefined for an empty body. */
  body: T;
  text: string;
}

export interface CallOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as-is with content-type application/json (malformed JSON tests). */
  raw?: string;
  /** Bearer token; null sends no Authorization header. @default TEST_TOKEN */
  token?: string | null;
  /** Extra request headers (Idempotency-Key...). */
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  call<T = ErrorAnswer>(method: string, path: string, options?: CallOptions): Promise<ApiAnswer<T>>;
  close(): Promise<void>;
}

/** The real Express app on a loopback port (ephemeral unless given), spoken to with fetch. */
export async function startTestApi(deps: ApiDeps, port = 0): Promise<TestApi> {
  const app = createApp(deps);
  const server = await listen(app, port, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async call<T>(
      method: string,
      path: string,
      { json, raw, token = TEST_TOKEN, headers: extra }: CallOptions = {},
    ) {
      const headers: Record<string, string> = { ...extra };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const body = raw ?? (json === undefined ? undefined : JSON.stringify(json));
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      return { status: res.status, text, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
