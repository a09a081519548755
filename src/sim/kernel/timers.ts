import type { TimerTask } from './task.js';

/** What the queue orders: a timer, or anything else that becomes due at a virtual time. */
export interface Due {
  readonly id: number;
  readonly due: number;
}

/**
 * Pending timers (or messages in flight) in a binary min-heap keyed by (due, id), so the
 * earliest ones are found without looking at the others. Cancelling only forgets the timer; its heap
 * entry is dropped when it reaches the root, or all at once when dead entries
 * outnumber live ones, because a core that re-arms a refresh timer on every event
 * would otherwise pay O(n) per cancel.
 */
export class TimerQueue<T extends Due = TimerTask> {
  private heap: T[] = [];
  private readonly live = new Map<number, T>();

  get size(): number {
    return this.live.size;
  }

  has(id: number): boolean {
    return this.live.has(id);
  }

  add(timer: T): void {
    this.live.set(timer.id, timer);
    this.heap.push(timer);
    this.siftUp(this.heap.length - 1);
  }

  /** Returns whether the timer was still pending. */
  delete(id: number): boolean {
    if (!this.live.delete(id)) return false;
    if (this.heap.length > 64 && this.heap.length > 2 * this.live.size) this.rebuild();
    return true;
  }

  /** Due time of the earliest pending timer, or Infinity when none is pending. */
  minDue(): number {
    this.dropDeadRoots();
    return this.heap[0]?.due ?? Infinity;
  }

  /** Every pending timer sharing the minimum due, in id order. */
  earliest(): T[] {
    this.dropDeadRoots();
    const root = this.heap[0];
    if (root === undefined) return [];
    const due = root.due;
    const out: T[] = [];
    // Children never sort before their parent, so only subtrees whose root is still at
    // `due` can hold more of them; this visits O(k) entries for k timers at `due`.
    const stack = [0];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const t = this.heap[i];
      if (t === undefined || t.due !== due) continue;
      if (this.live.has(t.id)) out.push(t);
      stack.push(2 * i + 1, 2 * i + 2);
    }
    if (out.length > 1) out.sort((a, b) => a.id - b.id);
    return out;
  }

  /** Removes and returns every pending entry due no later than `time`, in (due, id) order. */
  takeUntil(time: number): T[] {
    const out: T[] = [];
    while (this.minDue() <= time) {
      const root = this.heap[0]!;
      this.live.delete(root.id);
      this.pop();
      out.push(root);
    }
    return out;
  }

  private dropDeadRoots(): void {
    while (this.heap.length > 0 && !this.live.has(this.heap[0]!.id)) this.pop();
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private rebuild(): void {
    this.heap = [...this.live.values()];
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const t = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(t, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = t;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const t = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      const c = heap[child]!;
      if (!before(c, t)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = t;
  }
}

function before(a: Due, b: Due): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}
