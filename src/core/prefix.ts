import ipaddr from 'ipaddr.js';

/** An address with a prefix length, as Meridio writes IPs, VIPs and gateways ("172.16.0.2/24"). */
export interface Prefix {
  readonly ip: ipaddr.IPv4 | ipaddr.IPv6;
  readonly bits: number;
  /** Canonical text: the address as written by Go's net.IP.String(), then "/bits". */
  readonly text: string;
}

/**
 * Parsing is pure, so remembering recent results changes nothing but speed: a TAPA sees
 * the same few addresses over and over. Bounded, like everything else in the core.
 */
const CACHE_LIMIT = 4096;
const cache = new Map<string, Prefix | undefined>();

/**
 * Parses "ip/bits" strictly, like Go's net.ParseCIDR: dotted-quad IPv4 only (ipaddr.js
 * alone would also take "0x7f.1"), no IPv6 zone, bits within the family's width.
 */
export function parsePrefix(s: string): Prefix | undefined {
  if (cache.has(s)) return cache.get(s);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  const p = parse(s);
  cache.set(s, p);
  return p;
}

function parse(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(len)) return undefined;
  const bits = Number(len);
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(addr)) {
    if (bits > 32) return undefined;
    ip = ipaddr.IPv4.parse(addr);
  } else if (!addr.includes('%') && ipaddr.IPv6.isValid(addr)) {
    if (bits > 128) return undefined;
    ip = ipaddr.IPv6.parse(addr);
  } else {
    return undefined;
  }
  return { ip, bits, text: `${ip.toString()}/${bits}` };
}

/** Canonical text of every parsable prefix, invalid entries dropped, duplicates removed, order kept. */
export function formatPrefixes(list: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of list) {
    const p = parsePrefix(s);
    if (p) out.add(p.text);
  }
  return [...out];
}

/** True when `p` lies inside `subnet` and is at least as specific. */
export function within(p: Prefix, subnet: Prefix): boolean {
  if (p.ip.kind() !== subnet.ip.kind() || p.bits < subnet.bits) return false;
  // kind() was checked above, so the casts only restate it for the type checker.
  return p.ip.kind() === 'ipv4'
    ? (p.ip as ipaddr.IPv4).match(subnet.ip as ipaddr.IPv4, subnet.bits)
    : (p.ip as ipaddr.IPv6).match(subnet.ip as ipaddr.IPv6, subnet.bits);
}

/** Meridio's family test on raw text: IPv6 when the string has at least two colons. */
export function isIPv6(s: string): boolean {
  return s.indexOf(':') !== s.lastIndexOf(':');
}

/** Order-insensitive equality of two address lists. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  // Mostly the same list in the same order: no sets needed to say so.
  if (a.length === b.length && sameOrder(a, b)) return true;
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const x of sb) if (!sa.has(x)) return false;
  return true;
}

/** For lists of one length. */
function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
