/**
 * Calls and timers in flight, by id: a Map in all but its layout, which is pages of
 * PAGE slots filed by id / PAGE. Ids are handed out in increasing order and each is
 * over in its own time, so at 10,000 streams some 10,000 of them are live at once,
 * scattered over the last few tens of thousands handed out. A V8 Map that size put a
 * set, get and delete at four to five times their cost in a small one (about 250 ns
 * against 55): deletes leave holes, so it rebuilds its table every few thousand sets,
 * and the cost jumps between 2,000 and 4,000 entries, where the table outgrows the
 * 128 kB beyond which V8 allocates an object apart. Here the map of pages stays small,
 * a page is dropped once empty, and a lookup is a small map's lookup and an index.
 *
 * It iterates in increasing order of id, which is the order of insertion wherever the
 * core inserts (it files an id the moment it hands it out): a plain Map with the same
 * entries iterates alike, and a saved state keeps its bytes. It is a Map to everyone
 * who reads the state (`instanceof Map` included). Every method a caller may use is
 * overridden; the Map it is underneath stays empty, so structuredClone would copy no
 * entries: the state is copied as text (saved.ts).
 */
export class IdMap<V extends object> extends Map<number, V> {
  private readonly pages = new Map<number, Page<V>>();
  private count = 0;
  /** Pages were made in increasing order, so the map of pages iterates in order of id. */
  private ordered = true;
  private lastPage = -1;

  constructor(entries: Iterable<readonly [number, V]> = []) {
    super();
    for (const [id, value] of entries) this.set(id, value);
  }

  override get size(): number {
    return this.count;
  }

  override get(id: number): V | undefined {
    return this.pages.get(Math.floor(id / PAGE))?.slots[id % PAGE];
  }

  override has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  override set(id: number, value: V): this {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`an id is a non-negative integer, not ${id}`);
    const key = Math.floor(id / PAGE);
    let page = this.pages.get(key);
    if (page === undefined) {
      page = { slots: new Array<V | undefined>(PAGE).fill(undefined), used: 0 };
      this.pages.set(key, page);
      if (key < this.lastPage) this.ordered = false;
      else this.lastPage = key;
    }
    const slot = id % PAGE;
    const bit = 1 << slot;
    if ((page.used & bit) === 0) {
      page.used |= bit;
      this.count++;
    }
    page.slots[slot] = value;
    return this;
  }

  override delete(id: number): boolean {
    const key = Math.floor(id / PAGE);
    const page = this.pages.get(key);
    const slot = id % PAGE;
    // A fractional or negative id finds no page or no bit: nothing was filed under it.
    if (page === undefined || !Number.isInteger(slot) || (page.used & (1 << slot)) === 0) return false;
    page.used &= ~(1 << slot);
    page.slots[slot] = undefined;
    this.count--;
    if (page.used === 0) this.pages.delete(key);
    return true;
  }

  override clear(): void {
    this.pages.clear();
    this.count = 0;
  }

  override forEach(callback: (value: V, id: number, map: Map<number, V>) => void, thisArg?: unknown): void {
    for (const key of this.pageKeys()) {
      const page = this.pages.get(key);
      if (page === undefined) continue;
      // The set bits, lowest first: only the live slots are visited.
      for (let used = page.used; used !== 0; used &= used - 1) {
        const slot = 31 - Math.clz32(used & -used);
        const value = page.slots[slot];
        // Deleted by the callback meanwhile: a Map would not visit it either.
        if (value !== undefined) callback.call(thisArg, value, key * PAGE + slot, this);
      }
    }
  }

  override entries(): MapIterator<[number, V]> {
    const out: [number, V][] = [];
    this.forEach((value, id) => out.push([id, value]));
    return out.values();
  }

  override keys(): MapIterator<number> {
    const out: number[] = [];
    this.forEach((_value, id) => out.push(id));
    return out.values();
  }

  override values(): MapIterator<V> {
    const out: V[] = [];
    this.forEach((value) => out.push(value));
    return out.values();
  }

  override [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }

  private pageKeys(): Iterable<number> {
    return this.ordered ? this.pages.keys() : [...this.pages.keys()].sort((a, b) => a - b);
  }
}

/** Slots per page: one bit each in `used`, a 32-bit integer. */
const PAGE = 32;

interface Page<V> {
  readonly slots: (V | undefined)[];
  /** Bit i set: slot i holds a value. */
  used: number;
}
