/** A one-line progress bar on stderr for long work (seeding, benchmarks). */
export class Progress {
  #started = performance.now();
  #last = 0;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly unit = '',
  ) {}

  /** Redraws at most every 100 ms. */
  update(done: number): void {
    const now = performance.now();
    if (now - this.#last < 100) return;
    this.#last = now;
    this.#draw(done, '');
  }

  /** The last line, with the final count (the total may have been an estimate). */
  finish(done: number): void {
    this.total = done;
    this.#draw(done, '\n');
  }

  #draw(done: number, end: string): void {
    const width = 30;
    const ratio = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(ratio * width);
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = seconds > 0 ? ` ${compact(done / seconds)}${this.unit}/s` : '';
    process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${compact(done)}/${compact(this.total)}${this.unit}${rate}   ${end}`);
  }
}

const compact = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : String(Math.round(n)));
