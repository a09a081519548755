import type { Cancellable } from './transport.js';

export interface GateEntry {
  readonly start: (release: () => void) => Cancellable;
  call?: Cancellable;
  release?: () => void;
}

/**
 * At most `limit` calls in flight; the rest wait in arrival order. A sidecar with
 * thousands of streams would otherwise open thousands of HTTP/2 streams to one NSP at
 * once, and cancel as many (Meridio's get-targets is a Watch dropped after its first
 * message): an HTTP/2 peer may take such a burst of resets for a flood and close the
 * whole connection, failing every call on it.
 */
export class Gate {
  private running = 0;
  private next = 0;
  private readonly waiting = new Map<number, GateEntry>();

  constructor(private readonly limit: number) {}

  /** Nothing in flight or waiting. */
  get idle(): boolean {
    return this.running === 0 && this.waiting.size === 0;
  }

  /** Starts the call now or later; `release` must be called once when it is over. */
  enter(start: (release: () => void) => Cancellable): Cancellable {
    const id = this.next++;
    const entry: GateEntry = { start };
    this.waiting.set(id, entry);
    this.pump();
    return { cancel: () => this.cancel(id, entry) };
  }

  /** A call not started yet simply never will be; one in flight is stopped and gives back its place. */
  protected cancel(id: number, entry: GateEntry): void {
    if (this.waiting.delete(id)) return;
    entry.call?.cancel();
    entry.release?.();
  }

  private pump(): void {
    for (const [id, entry] of this.waiting) {
      if (this.running >= this.limit) return;
      this.waiting.delete(id);
      this.running++;
      let released = false;
      entry.release = () => {
        if (released) return;
        released = true;
        this.running--;
        this.pump();
      };
      entry.call = entry.start(entry.release);
    }
  }
}
