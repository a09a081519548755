import { parsePrefix, within, type Prefix } from '../../core/prefix.js';

/** Bridge subnets available: the service's number is the third octet of 172.16.n.0/24. */
export const MAX_BRIDGES = 256;
/** Host numbers .2 to .254: .1 is the gateway and .255 the broadcast address. */
const FIRST_HOST = 2;
const LAST_HOST = 254;

/** A bridge subnet ran out of addresses; a scenario that needs more is too long. */
export class BridgeExhausted extends RangeError {
  constructor(what: string) {
    super(what);
    this.name = 'BridgeExhausted';
  }
}

/**
 * The bridge of one proxy network service: 172.16.<n>.0/24 and fd00:<n>::/64 (n in hex,
 * so the group's value is n), gateways .1 and ::1. A host address is handed out again
 * only once every other one has been, and only after its connection let it go, so a pod
 * whose IPs change really gets new IPs, and a stale target is told apart from a fresh
 * one by its addresses alone in any run that does not go round the subnet.
 */
export class Bridge {
  /** The gateways as NSM reports them in extra_prefixes. */
  readonly gateways: readonly string[];
  private readonly subnets: readonly Prefix[];
  private nextHost = FIRST_HOST;
  /** Host numbers given back, the longest free first. */
  private readonly free: number[] = [];

  constructor(readonly index: number) {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_BRIDGES) {
      throw new BridgeExhausted(`no bridge subnet number ${index}: at most ${MAX_BRIDGES} network services`);
    }
    this.subnets = [prefix(`172.16.${index}.0/24`), prefix(`fd00:${index.toString(16)}::/64`)];
    this.gateways = this.host(1);
  }

  /** A fresh pair [IPv4/24, IPv6/64]. */
  allocate(): string[] {
    if (this.nextHost <= LAST_HOST) return this.host(this.nextHost++);
    const reused = this.free.shift();
    if (reused === undefined) throw new BridgeExhausted(`bridge ${this.subnets[0]!.text}: every host address is in use`);
    return this.host(reused);
  }

  /**
   * A pair this bridge handed out before the run began (a connection restored from a
   * recording): it stays taken, and the next allocations come after it.
   */
  claim(pair: readonly string[]): void {
    const v4 = pair.find((a) => !Number.isNaN(hostOf(a))) ?? '';
    const n = hostOf(v4);
    if (!this.holds(v4) || !(n >= FIRST_HOST && n <= LAST_HOST)) {
      throw new RangeError(`bridge ${this.subnets[0]!.text}: ${pair.join(',')} is not one of its host addresses`);
    }
    for (let k = this.nextHost; k < n; k++) this.free.push(k);
    this.nextHost = Math.max(this.nextHost, n + 1);
    const at = this.free.indexOf(n);
    if (at >= 0) this.free.splice(at, 1);
  }

  /** A pair from `allocate` is no longer any connection's (closed, expired, or healed onto new ones). */
  release(pair: readonly string[]): void {
    const [v4 = ''] = pair;
    const n = hostOf(v4);
    if (!this.holds(v4) || !(n >= FIRST_HOST && n < this.nextHost)) {
      throw new RangeError(`bridge ${this.subnets[0]!.text}: ${pair.join(',')} is not one it handed out`);
    }
    this.free.push(n);
  }

  /**
   * Whether the address lies in this bridge, by the rule the TAPA uses to pick its local
   * IPs (inside a gateway subnet and at least as specific).
   */
  holds(address: string): boolean {
    const p = parsePrefix(address);
    return p !== undefined && this.subnets.some((s) => within(p, s));
  }

  private host(n: number): string[] {
    return [prefix(`172.16.${this.index}.${n}/24`).text, prefix(`fd00:${this.index.toString(16)}::${n.toString(16)}/64`).text];
  }
}

/** The host number of an IPv4 address of a bridge, NaN for anything else. */
function hostOf(v4: string): number {
  return Number(/\.(\d+)\/24$/.exec(v4)?.[1]);
}

/** The number of the bridge an address lies in (the third octet of 172.16.n.0/24), if it lies in one. */
export function bridgeIndexOf(v4: string): number | undefined {
  const m = /^172\.16\.(\d+)\.\d+\/24$/.exec(v4);
  return m ? Number(m[1]) : undefined;
}

function prefix(text: string): Prefix {
  const p = parsePrefix(text);
  if (!p) throw new Error(`bridge address ${text} does not parse`);
  return p;
}
