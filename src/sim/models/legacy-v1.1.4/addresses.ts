import { parsePrefix, type Prefix } from '../../../core/prefix.js';

// The address helpers of Go's conduit package (reference §3.4). parsePrefix stands in for
// Go's net.ParseCIDR (strict CIDR syntax, the IP written as net.IP.String() writes it);
// what Meridio builds on it is written here, as Go v1.1.4 does it.

/** formatPrefixes: each entry that parses as a CIDR, as "<ip>/<len>"; the others dropped. */
export function formatPrefixes(list: readonly string[]): string[] {
  return list.map((s) => parsePrefix(s)?.text).filter((s): s is string => s !== undefined);
}

/** isIPv6: the string holds at least two ':'. */
export function isIPv6(s: string): boolean {
  return s.split(':').length > 2;
}

/** getLocalIPsBasedOnVIP: the addresses that are not a VIP (exact "ip/len" match). */
function getLocalIPsBasedOnVIP(addresses: readonly string[], vips: readonly string[]): string[] {
  const v = formatPrefixes(vips);
  return formatPrefixes(addresses).filter((a) => !v.includes(a));
}

/** The address lies in the subnet (net.IPNet.Contains) with a prefix at least as long. */
function inSubnet(address: Prefix, subnet: Prefix): boolean {
  if (address.ip.kind() !== subnet.ip.kind() || address.bits < subnet.bits) return false;
  const a = address.ip.toByteArray();
  const n = subnet.ip.toByteArray();
  for (let bit = 0; bit < subnet.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a[bit >> 3]! & mask) !== (n[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** getIPsInGatewaySubnet: the addresses that lie in one of the gateways' subnets. */
export function getIPsInGatewaySubnet(addresses: readonly string[], gateways: readonly string[]): string[] {
  const subnets = gateways.map(parsePrefix).filter((g): g is Prefix => g !== undefined);
  return formatPrefixes(addresses).filter((a) => subnets.some((g) => inSubnet(parsePrefix(a)!, g)));
}

/** getLocalIPs: the pod's own addresses on the conduit; without gateways, none. */
export function getLocalIPs(addresses: readonly string[], vips: readonly string[], gateways: readonly string[]): string[] {
  return getIPsInGatewaySubnet(getLocalIPsBasedOnVIP(addresses, vips), gateways);
}

/** The two lists hold the same addresses, whatever their order and repetitions. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}
