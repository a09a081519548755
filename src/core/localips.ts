import { formatPrefixes, parsePrefix, within, type Prefix } from './prefix.js';
import type { Connection } from './wire.js';

/**
 * The addresses NSM gave this pod on a conduit, which become the IPs of its targets.
 *
 * Source addresses minus the VIPs (NSM echoes VIPs back in src_ip_addrs), kept only
 * when they lie in one of the bridge gateway subnets (extra_prefixes). Without any
 * gateway the subnet filter is skipped: Go v1.1.4 skips it only when connecting and
 * applies it on VIP updates and monitor events, so a proxy that hands out no bridge
 * IPs flips the local IPs between [ip] and [] (the trigger of Meridio #578). One rule
 * everywhere means the local IPs change only when NSM really changed something.
 */
export function localIps(connection: Connection | undefined, vips: readonly string[]): string[] {
  const ip = connection?.context?.ipContext;
  if (!ip) return [];
  const addresses = withoutVips(ip.srcIpAddrs, vips);
  return ip.extraPrefixes.length > 0 ? inGatewaySubnets(addresses, ip.extraPrefixes) : addresses;
}

export function withoutVips(addresses: readonly string[], vips: readonly string[]): string[] {
  const v = new Set(formatPrefixes(vips));
  return formatPrefixes(addresses).filter((a) => !v.has(a));
}

export function inGatewaySubnets(addresses: readonly string[], gateways: readonly string[]): string[] {
  const subnets = gatewayPrefixes(gateways);
  return formatPrefixes(addresses).filter((a) => {
    const p = parsePrefix(a);
    return p !== undefined && subnets.some((g) => within(p, g));
  });
}

export function gatewayPrefixes(gateways: readonly string[]): Prefix[] {
  return gateways.map(parsePrefix).filter((g): g is Prefix => g !== undefined);
}
