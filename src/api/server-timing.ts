/**
 * A Server-Timing header (W3C) for one request: how long each step took, so
 * that a client or a benchmark can tell a slow database from a slow Temporal
 * without access to the server's logs.
 */
export class ServerTiming {
  private readonly entries: string[] = [];

  /** @param since when the request reached the server (performance.now()), for a `total` entry */
  constructor(private readonly since?: number) {}

  async measure<T>(name: string, step: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await step();
    } finally {
      this.entries.push(`${name};dur=${(performance.now() - start).toFixed(1)}`);
    }
  }

  toString(): string {
    const total =
      this.since === undefined ? [] : [`total;dur=${(performance.now() - this.since).toFixed(1)}`];
    return [...this.entries, ...total].join(', ');
  }
}
