import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What the CLI reads from GET /v1/uploads/:id. */
export interface UploadView {
  uploadId: string;
  jobId: string;
  status: 'receiving' | 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'expired';
  /** 0–1; null while the worker does not answer the progress query. */
  progress: number | null;
  phase: string | null;
  bucket: string;
  key: string;
  size: number | null;
  sha256: string | null;
  receivedChunks: number[];
  error: string | null;
  assembly: Record<string, number> | null;
}

/** An answer of the API that is not a success; `retryable` for 5xx and 429. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
  /** Status 0: no answer at all (refused, reset, DNS). */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 0;
  }
}

function errorOf(status: number, text: string, what: string): ApiError {
  let message = text;
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
  } catch {
    // Not the API's JSON (a proxy's page, say): the text itself is the best message.
  }
  return new ApiError(`${what} answered ${status}: ${message}`, status);
}

export class FerryApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** One JSON call; an empty answer (204) is undefined. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED…) is its cause.
      const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new ApiError(`cannot reach the API at ${this.baseUrl}: ${reason}`, 0);
    }
    const text = await res.text();
    if (!res.ok) throw errorOf(res.status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  getUpload(id: string): Promise<UploadView> {
    return this.json<UploadView>('GET', `/v1/uploads/${encodeURIComponent(id)}`);
  }

  /** Streams bytes [start, end) of `file` as one chunk; `onBytes` sees them leave. */
  putChunk(
    id: string,
    index: number,
    file: string,
    range: { start: number; end: number; sha256: string },
    onBytes: (n: number) => void,
  ): Promise<void> {
    const url = new URL(`/v1/uploads/${encodeURIComponent(id)}/chunks/${index}`, this.baseUrl);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${this.token}`,
          'content-type': 'application/octet-stream',
          'content-length': range.end - range.start,
          'x-chunk-sha256': range.sha256,
        },
      });
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => (text += s));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(errorOf(status, text, `PUT chunk ${index}`));
        });
      });
      if (range.end === range.start) {
        req.end();
        return;
      }
      const body = createReadStream(file, { start: range.start, end: range.end - 1 });
      body.on('data', (b) => onBytes(b.length));
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    });
  }
}
