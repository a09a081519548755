/**
 * What a step has touched (streams, conduits), each once, in the order of its first touch.
 *
 * Most steps touch one stream and no conduit; a few touch every stream of a conduit. A Set
 * made for each step cost more than the rest of a typical step, so a few members are told
 * apart by a scan of the list, and the Set is made only once there are many.
 */
export class Touched<T> {
  private list: T[] | undefined;
  private index: Set<T> | undefined;

  get size(): number {
    return this.list === undefined ? 0 : this.list.length;
  }

  add(item: T): void {
    const list = this.list;
    if (list === undefined) {
      this.list = [item];
      return;
    }
    if (this.has(item)) return;
    list.push(item);
    if (this.index !== undefined) this.index.add(item);
    else if (list.length > SCAN_LIMIT) this.index = new Set(list);
  }

  has(item: T): boolean {
    if (this.index !== undefined) return this.index.has(item);
    return this.list !== undefined && this.list.includes(item);
  }

  /** The members, in order: the list itself, which later adds extend until the next `take`. */
  get items(): readonly T[] {
    return this.list ?? NONE;
  }

  /** The members, in order, and forgets them: what is added from now on is a new list. */
  take(): readonly T[] {
    const list = this.list ?? NONE;
    this.list = undefined;
    this.index = undefined;
    return list;
  }
}

/** Beyond this many members, membership is looked up in a Set: a scan grows with the list. */
const SCAN_LIMIT = 8;

const NONE: readonly never[] = [];
