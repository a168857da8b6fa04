import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Registry } from 'prom-client';

/** A loopback port free right now, for the Temporal SDK's own exporter to bind. */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The worker's /metrics: its own registry, followed by the Temporal SDK's
 * metrics (task latencies, slots, polls), which the SDK's native exporter
 * serves on a loopback port of its own. One scrape target for both.
 */
export async function serveWorkerMetrics(
  port: number,
  registry: Registry,
  sdkMetricsUrl?: string,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void metricsText(registry, sdkMetricsUrl).then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(err instanceof Error ? err.message : String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return server;
}

async function metricsText(registry: Registry, sdkMetricsUrl?: string): Promise<string> {
  const own = await registry.metrics();
  if (!sdkMetricsUrl) return own;
  const sdk = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(5000) });
  return `${own}\n${await sdk.text()}`;
}
