import { parsePrefix } from '../../../core/prefix.js';
import type { Connection, NetworkServiceRequest, PolicyRoute, Route } from '../../../core/wire.js';
import { IPContext } from '../../../wire/networkservice/connectioncontext.js';
import { isIPv6 } from './addresses.js';

// The NSM requests of conduit.Conduit (reference §3.2, §3.3), as Go v1.1.4 builds them.

/** The proxy network service of a conduit: `proxy.<conduit>.<trench>.<namespace>`. */
export function networkServiceName(conduit: string, trench: string, namespace: string): string {
  return `proxy.${conduit}.${trench}.${namespace}`;
}

/** `<MERIDIO_NAME>-<network service>-0`: the same after a restart (PR #444). */
export function connectionId(targetName: string, networkService: string): string {
  return `${targetName}-${networkService}-0`;
}

/** Connect's request: a kernel interface from the proxy on the pod's own node. */
export function connectRequest(id: string, networkService: string, node: string): NetworkServiceRequest {
  return {
    connection: {
      id,
      networkService,
      labels: { nodeName: node },
      networkServiceEndpointName: '',
      payload: 'ETHERNET',
      state: 'UP',
    },
    mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL', parameters: {} }],
  };
}

/**
 * SetVIPs' IP context: the local IPs, then the VIPs, as source addresses, and one policy
 * route per VIP through every gateway of the VIP's family (the gateway's IP as next hop).
 * The rest of the current context is kept.
 */
export function vipIPContext(current: IPContext | undefined, localIPs: readonly string[], vips: readonly string[]): IPContext {
  const v4: Route[] = [];
  const v6: Route[] = [];
  for (const gateway of current?.extraPrefixes ?? []) {
    const gw = parsePrefix(gateway);
    if (gw === undefined) continue;
    if (isIPv6(gateway)) v6.push({ prefix: '::/0', nextHop: gw.ip.toString() });
    else v4.push({ prefix: '0.0.0.0/0', nextHop: gw.ip.toString() });
  }
  const policies: PolicyRoute[] = vips.map((vip) => ({ from: vip, proto: '', dstPort: '', srcPort: '', routes: isIPv6(vip) ? v6 : v4 }));
  return { ...IPContext.create(), ...current, srcIpAddrs: [...localIPs, ...vips], policies };
}

/**
 * SetVIPs' request: a fresh connection with only the identity, mechanism, labels,
 * payload and the IP context (no path, no NSE name), and no mechanism preferences.
 */
export function vipUpdateRequest(connection: Connection, ipContext: IPContext): NetworkServiceRequest {
  const { id, networkService, mechanism, labels, payload } = connection;
  return {
    connection: {
      id,
      networkService,
      ...(mechanism === undefined ? {} : { mechanism }),
      labels,
      payload,
      networkServiceEndpointName: '',
      state: 'UP',
      context: { extraContext: {}, MTU: 0, ipContext },
    },
    mechanismPreferences: [],
  };
}
