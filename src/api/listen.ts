import type { Server } from 'node:http';
import type { Express } from 'express';

/** A connection on which no byte moves for this long is closed. */
const IDLE_TIMEOUT_MS = 5 * 60_000;

/**
 * Starts the HTTP server with timeouts that suit chunk uploads. Node ends any
 * request after 5 minutes by default (`requestTimeout`), which cuts off a
 * 256 MiB chunk on a link under ~7 Mbit/s however steadily it arrives; that
 * limit goes, and a connection is closed instead when it sits idle (headers
 * must still arrive within Node's 60 s).
 */
export function listen(app: Express, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const onListening = () => resolve(server);
    const server = host ? app.listen(port, host, onListening) : app.listen(port, onListening);
    server.once('error', reject);
    server.requestTimeout = 0;
    server.setTimeout(IDLE_TIMEOUT_MS);
  });
}
