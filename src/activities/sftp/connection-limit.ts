/**
 * A cap on the SFTP connections one worker process holds open: in all
 * (SFTP_MAX_CONNECTIONS) and to any one server (SFTP_MAX_CONNECTIONS_PER_SERVER).
 * Every connection Ferry opens takes a slot first (openSftp) and gives it back
 * when it closes; an activity that finds none free waits for one, so a burst
 * of transfers, scans and exports cannot open a connection each to a server.
 */
export class ConnectionLimit {
  private total = 0;
  private readonly perServer = new Map<string, number>();
  private waiting: (() => void)[] = [];

  constructor(
    private maxTotal: number,
    private maxPerServer: number,
  ) {}

  /** Changes the caps (a worker sets them from its configuration at start-up). */
  configure(maxTotal: number, maxPerServer: number): void {
    this.maxTotal = maxTotal;
    this.maxPerServer = maxPerServer;
    this.wake();
  }

  /** Open connections, in all or to one server. */
  open(serverId?: string): number {
    return serverId === undefined ? this.total : (this.perServer.get(serverId) ?? 0);
  }

  /** Callers waiting for a slot. */
  queued(): number {
    return this.waiting.length;
  }

  /** Waits for a slot; the function returned gives it back (once, however often it is called). */
  async acquire(serverId: string): Promise<() => void> {
    while (this.total >= this.maxTotal || this.open(serverId) >= this.maxPerServer) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.total++;
    this.perServer.set(serverId, this.open(serverId) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = this.open(serverId) - 1;
      if (left > 0) this.perServer.set(serverId, left);
      else this.perServer.delete(serverId);
      this.wake();
    };
  }

  /** Every waiter looks again; those that still do not fit wait anew. */
  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** The worker process's limit; activities' connections all go through openSftp, which takes from it. */
export const sftpConnections = new ConnectionLimit(64, 8);
