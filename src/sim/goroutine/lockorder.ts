/**
 * One edge `from -> to` of the lock-order graph: some goroutine took or waited for `to`
 * while `from` was held, by itself or by a goroutine waiting on a WaitGroup it owes
 * (`via`). The first time the edge was seen is kept as its example.
 */
export interface LockOrderEdge {
  readonly from: string;
  readonly to: string;
  /** The goroutine that held `from`, and the stack that took it (innermost first). */
  readonly holder: string;
  readonly fromStack: readonly string[];
  /** The goroutine that took or waited for `to`, and its stack then. */
  readonly taker: string;
  readonly toStack: readonly string[];
  /** Set when `holder` is not `taker`: the holder was waiting on this WaitGroup, which the taker owes. */
  readonly via?: {
    readonly waitGroup: string;
    readonly waiter: string;
    readonly waiterStack: readonly string[];
  };
}

/** A potential deadlock: `locks[i] -> locks[i + 1]`, and the last back to the first. */
export interface LockOrderCycle {
  readonly locks: readonly string[];
  /** `edges[i]` is `locks[i] -> locks[(i + 1) % n]`. */
  readonly edges: readonly LockOrderEdge[];
}

/**
 * Lockdep over a whole run: nodes are lock names (classes, so every `stream.mu` is one
 * node), edges are "held, then wanted". A cycle is a potential deadlock even when the
 * run that produced the edges did not deadlock, because the orders were seen at
 * different times. A one-lock cycle is a class taken while an instance of it is held
 * (two streams' locks nested, or a WaitGroup debtor wanting the waiter's own lock).
 */
export class LockOrder {
  private readonly out = new Map<string, Map<string, LockOrderEdge>>();

  add(edge: LockOrderEdge): void {
    let m = this.out.get(edge.from);
    if (m === undefined) this.out.set(edge.from, (m = new Map()));
    if (!m.has(edge.to)) m.set(edge.to, edge);
  }

  /** Every edge, sorted by (from, to). */
  edges(): LockOrderEdge[] {
    const all: LockOrderEdge[] = [];
    for (const m of this.out.values()) all.push(...m.values());
    return all.sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  }

  /**
   * The elementary cycles, each rotated to start at its smallest lock name, sorted by
   * length then names; at most `limit` of them, because a dense graph has exponentially many.
   */
  cycles(limit = 100): LockOrderCycle[] {
    const nodes = new Set<string>();
    for (const [from, m] of this.out) {
      nodes.add(from);
      for (const to of m.keys()) nodes.add(to);
    }
    const sorted = [...nodes].sort(compare);
    const rank = new Map(sorted.map((n, i) => [n, i]));
    const found: string[][] = [];
    const succ = (n: string): string[] => [...(this.out.get(n)?.keys() ?? [])].sort(compare);
    for (const start of sorted) {
      if (found.length >= limit) break;
      const min = rank.get(start)!;
      // Paths from `start` through larger names only: each cycle is found once, from its smallest lock.
      const walk = (path: string[]): void => {
        for (const t of succ(path[path.length - 1]!)) {
          if (found.length >= limit) return;
          if (t === start) found.push([...path]);
          else if (rank.get(t)! > min && !path.includes(t)) walk([...path, t]);
        }
      };
      walk([start]);
    }
    found.sort((a, b) => a.length - b.length || compare(a.join('\n'), b.join('\n')));
    return found.map((locks) => ({
      locks,
      edges: locks.map((from, i) => this.out.get(from)!.get(locks[(i + 1) % locks.length]!)!),
    }));
  }
}

/** Code-unit order: the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A lock-order cycle for people: each edge with the two stacks that made it. */
export function formatLockOrderCycle(cycle: LockOrderCycle): string {
  const lines = [`lock-order cycle ${[...cycle.locks, cycle.locks[0]].join(' -> ')}`];
  for (const e of cycle.edges) {
    lines.push(`  ${e.from} -> ${e.to}${e.via ? ` (while waiting on ${e.via.waitGroup}, which ${e.taker} owes)` : ''}`);
    lines.push(`    ${e.holder} took ${e.from} in:`, ...e.fromStack.map((f) => `      ${f}`));
    lines.push(`    ${e.taker} took ${e.to} in:`, ...e.toStack.map((f) => `      ${f}`));
  }
  return lines.join('\n');
}
