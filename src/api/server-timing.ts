/**
 * A Server-Timing header (W3C) for one request: how long each step took, so
 * that a client or a benchmark can tell a slow database from a slow Temporal
 * without access to the server's logs.
 */
export class ServerTiming {
  private readonly entries: string[] = [];

  async measure<T>(name: string, step: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await step();
    } finally {
      this.entries.push(`${name};dur=${(performance.now() - start).toFixed(1)}`);
    }
  }

  toString(): string {
    return this.entries.join(', ');
  }
}
