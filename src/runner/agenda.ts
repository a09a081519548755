/** What is due: a core timer (by timer id) or a call's deadline (by op). */
export interface Due {
  readonly kind: 'timer' | 'deadline';
  readonly id: number;
  readonly at: number;
  /** Order among entries due at the same time: the one set first comes first. */
  readonly seq: number;
}

/**
 * The runner's timers and deadlines, by due time: a binary heap with lazy removal, so
 * that setting and cancelling are O(log n) and O(1) whatever the number of streams.
 * Cancelled entries at the top are dropped at once, so that `next` is always live and a
 * wake-up is never asked for a time when nothing is due.
 */
export class Agenda {
  private readonly heap: Due[] = [];
  private readonly live = { timer: new Map<number, Due>(), deadline: new Map<number, Due>() };
  private seq = 0;

  get size(): number {
    return this.live.timer.size + this.live.deadline.size;
  }

  add(kind: Due['kind'], id: number, at: number): void {
    const entry: Due = { kind, id, at, seq: this.seq++ };
    this.live[kind].set(id, entry);
    this.heap.push(entry);
    this.up(this.heap.length - 1);
    // Setting an id again replaces its entry, which may be the one at the top.
    this.dropDead();
  }

  /** Returns whether it was set. */
  remove(kind: Due['kind'], id: number): boolean {
    if (!this.live[kind].delete(id)) return false;
    this.dropDead();
    return true;
  }

  /** The ids set of one kind. */
  ids(kind: Due['kind']): IterableIterator<number> {
    return this.live[kind].keys();
  }

  /** The earliest live entry's time, if any. */
  next(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Takes the earliest live entry if it is due at `now`. */
  take(now: number): Due | undefined {
    const top = this.heap[0];
    if (top === undefined || top.at > now) return undefined;
    this.pop();
    this.live[top.kind].delete(top.id);
    this.dropDead();
    return top;
  }

  clear(): void {
    this.heap.length = 0;
    this.live.timer.clear();
    this.live.deadline.clear();
  }

  private dropDead(): void {
    for (let top = this.heap[0]; top !== undefined && this.live[top.kind].get(top.id) !== top; top = this.heap[0]) this.pop();
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private up(i: number): void {
    const { heap } = this;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const { heap } = this;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && before(heap[l]!, heap[min]!)) min = l;
      if (r < heap.length && before(heap[r]!, heap[min]!)) min = r;
      if (min === i) return;
      [heap[i], heap[min]] = [heap[min]!, heap[i]!];
      i = min;
    }
  }
}

function before(a: Due, b: Due): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
