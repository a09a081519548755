import { gatewayPrefixes } from './localips.js';
import { formatPrefixes, isIPv6, parsePrefix, within } from './prefix.js';
import type { IPContext, NspFlow, PolicyRoute, Route } from './wire.js';

/**
 * The VIPs a conduit must carry: the union over all flows of the conduit, whichever
 * streams the pod opened (Meridio's rule). Canonical and sorted, so two pushes of the
 * same set compare equal.
 */
export function vipsOfFlows(flows: readonly NspFlow[]): string[] {
  return formatPrefixes(flows.flatMap((f) => f.vips.map((v) => v.address))).sort();
}

/**
 * The IP context of a VIP update: the local IPs followed by the VIPs as source
 * addresses, and one policy route per VIP that sends its replies through every bridge
 * gateway of the VIP's family. VIPs inside a gateway subnet are not routed this way:
 * they are reachable on the bridge already.
 */
export function vipContext(current: IPContext | undefined, local: readonly string[], vips: readonly string[]): IPContext {
  const gateways = current?.extraPrefixes ?? [];
  const subnets = gatewayPrefixes(gateways);
  const routed = vips.filter((v) => {
    const p = parsePrefix(v);
    return p !== undefined && !subnets.some((g) => within(p, g));
  });
  const routes = { v4: [] as Route[], v6: [] as Route[] };
  for (const g of gateways) {
    const p = parsePrefix(g);
    if (!p) continue;
    const v6 = isIPv6(g);
    (v6 ? routes.v6 : routes.v4).push({ prefix: v6 ? '::/0' : '0.0.0.0/0', nextHop: p.ip.toString() });
  }
  const policies: PolicyRoute[] = routed.map((vip) => ({
    from: vip,
    proto: '',
    dstPort: '',
    srcPort: '',
    routes: isIPv6(vip) ? routes.v6 : routes.v4,
  }));
  return { ...emptyIpContext(), ...current, srcIpAddrs: [...local, ...routed], policies };
}

export function emptyIpContext(): IPContext {
  return {
    srcIpAddrs: [],
    dstIpAddrs: [],
    srcIpRequired: false,
    dstIpRequired: false,
    srcRoutes: [],
    dstRoutes: [],
    excludedPrefixes: [],
    ipNeighbors: [],
    extraPrefixRequest: [],
    extraPrefixes: [],
    policies: [],
  };
}
