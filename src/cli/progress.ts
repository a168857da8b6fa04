/**
 * A one-line progress bar on stderr, redrawn in place with "\r": bytes, rate
 * and ETA. On a terminal it redraws up to 10 times a second; into a file or
 * pipe once a second, so logs stay short.
 */
const MiB = 1024 * 1024;

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();
  private readonly interval: number;

  constructor(
    private readonly label: string,
    private readonly total: number,
    /** Bytes show sizes and a rate; otherwise `total` is 1 and only the share and ETA show. */
    private readonly unit: 'bytes' | 'fraction' = 'bytes',
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.interval = out.isTTY ? 100 : 1000;
  }

  /** Adds `n` units (negative when a failed chunk is sent again). */
  add(n: number): void {
    this.set(this.done + n);
  }

  set(done: number): void {
    this.done = done;
    if (Date.now() - this.lastDraw >= this.interval) this.draw();
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  draw(): void {
    this.lastDraw = Date.now();
    const fraction = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const rate = this.done / Math.max(this.elapsedSeconds, 0.001);
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const bar = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const sizes =
      this.unit === 'bytes'
        ? ` ${(this.done / MiB).toFixed(1)}/${(this.total / MiB).toFixed(1)} MiB ${(rate / 1e6).toFixed(1)} MB/s`
        : '';
    const line = `${bar} ${(fraction * 100).toFixed(0).padStart(3)}%${sizes} ETA ${formatDuration(eta)}`;
    // Erase what a longer previous line left; escape codes only where a terminal reads them.
    this.out.write(`\r${line}${this.out.isTTY ? '\u001b[K' : ''}`);
  }

  /** Final redraw and a newline. */
  finish(): void {
    this.draw();
    this.out.write('\n');
  }
}
