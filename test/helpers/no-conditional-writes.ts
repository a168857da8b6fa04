import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NoConditionalWritesStore {
  /** S3 endpoint to give Ferry: MinIO behind this proxy. */
  endpoint: string;
  /** Conditional PutObject requests answered 501 so far. */
  refused(): number;
  close(): Promise<void>;
}

/**
 * Object storage that does not implement conditional writes, as some
 * S3-compatible stores still do not: a proxy in front of the real MinIO that
 * answers a PutObject with `If-None-Match` by 501 NotImplemented (S3's answer
 * to a header it does not support) and passes every other request through
 * untouched. The Host header is kept, so the client's signatures still hold.
 */
export async function startNoConditionalWritesStore(
  minioEndpoint: string,
): Promise<NoConditionalWritesStore> {
  const upstream = new URL(minioEndpoint);
  let refused = 0;
  const server = http.createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const isPutObject = req.method === 'PUT' && !query.has('uploadId') && !query.has('tagging');
    if (isPutObject && req.headers['if-none-match'] !== undefined) {
      refused++;
      req.resume();
      res.writeHead(501, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>' +
          '<Message>A header you provided implies functionality that is not implemented</Message></Error>',
      );
      return;
    }
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => res.destroy(err));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
