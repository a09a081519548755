/** Where long work stands: what a progress line shows. */
export interface Standing {
  /** What is counted: `runs`, `counterexamples`. */
  readonly unit: string;
  readonly done: number;
  /** Absent when the work is bounded by time only. */
  readonly planned?: number;
  readonly elapsedMs: number;
  /** Found so far (signatures, matches), when the work looks for something. */
  readonly found?: number;
}

/** Progress is for a person watching: only on a terminal, and never mixed into JSON output. */
export function showsProgress(stream: { readonly isTTY?: boolean }, json: boolean): boolean {
  return stream.isTTY === true && !json;
}

const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
};

/** One line: `1200 / 3000 runs (40%), 610 runs/s, 2s elapsed, ETA 3s, found 0`. */
export function progressLine(s: Standing): string {
  const rate = s.done / Math.max(s.elapsedMs / 1000, 0.001);
  const { planned } = s;
  const of = planned === undefined ? '' : ` / ${planned}`;
  const pct = planned ? ` (${Math.floor((100 * s.done) / planned)}%)` : '';
  const eta = planned !== undefined && s.done > 0 ? `, ETA ${clock(((planned - s.done) / rate) * 1000)}` : '';
  const found = s.found === undefined ? '' : `, found ${s.found}`;
  return `${s.done}${of} ${s.unit}${pct}, ${rate.toFixed(0)} ${s.unit}/s, ${clock(s.elapsedMs)} elapsed${eta}${found}`;
}

/** How often the line is redrawn at most: often enough to look alive, rarely enough to cost nothing. */
export const REDRAW_MS = 250;

/**
 * A progress line on a terminal, redrawn in place (carriage return) at most every
 * REDRAW_MS, and wiped at the end so that the summary printed next is the last line.
 * Off (every call a no-op) when the stream is not a terminal or the output is JSON.
 */
export class Progress {
  private readonly started = Date.now();
  private drawn = -Infinity;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly on: boolean,
    private readonly unit: string,
    private readonly planned?: number,
  ) {}

  update(done: number, found?: number): void {
    const now = Date.now();
    if (!this.on || now - this.drawn < REDRAW_MS) return;
    this.drawn = now;
    const line = progressLine({
      unit: this.unit,
      done,
      planned: this.planned,
      elapsedMs: now - this.started,
      ...(found === undefined ? {} : { found }),
    });
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 80) - 1)}\x1b[K`);
  }

  end(): void {
    if (this.on && this.drawn > -Infinity) this.stream.write('\r\x1b[K');
  }
}
