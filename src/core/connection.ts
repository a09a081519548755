import type { Connection, ConnectionEvent, Mechanism, NetworkServiceRequest } from './wire.js';

/** Identity of a conduit's NSM connection (reference §3.2). */
export interface ConnectionIdentity {
  /** `proxy.<conduit>.<trench>.<namespace>`: the proxy network service of the conduit. */
  readonly networkService: string;
  /**
   * `<name>-<networkService>-0`: deterministic, so that a restarted TAPA finds and
   * takes over the connection its previous incarnation left behind.
   */
  readonly id: string;
}

export function connectionIdentity(name: string, namespace: string, trench: string, conduit: string): ConnectionIdentity {
  const networkService = `proxy.${conduit}.${trench}.${namespace}`;
  return { networkService, id: `${name}-${networkService}-0` };
}

/** The mechanism parameter that tells NSM where the interface goes: the pod's network namespace. */
export const NETNS_KEY = 'inodeURL';

/**
 * What the kernel mechanism names the namespace by, as NSM's kernel client does. Meaningless to
 * an NSM manager in another PID namespace: the sidecar's transport hands the namespace over as
 * a file descriptor and replaces this URL by the descriptor's inode (src/grpc/fd/netns.ts).
 */
export const NETNS_URL = 'file:///proc/thread-self/ns/net';

function kernelMechanism(parameters: Record<string, string> = {}): Mechanism {
  return { cls: 'LOCAL', type: 'KERNEL', parameters: { [NETNS_KEY]: NETNS_URL, ...parameters } };
}

export function blankConnection(identity: ConnectionIdentity, node: string): Connection {
  return {
    id: identity.id,
    networkService: identity.networkService,
    // The proxy to use is the one on the pod's own node.
    labels: { nodeName: node },
    networkServiceEndpointName: '',
    payload: 'ETHERNET',
    state: 'UP',
  };
}

export function initialRequest(identity: ConnectionIdentity, node: string): NetworkServiceRequest {
  return { connection: blankConnection(identity, node), mechanismPreferences: [kernelMechanism()] };
}

/** The first connection of an event whose first path segment is ours (Meridio's matching rule). */
export function ownConnection(event: ConnectionEvent, id: string): Connection | undefined {
  for (const key of Object.keys(event.connections)) {
    const c = event.connections[key];
    if (c?.path?.pathSegments[0]?.id === id) return c;
  }
  return undefined;
}

/**
 * The connection a previous incarnation of this TAPA left behind, found in the monitor's
 * first event, as this TAPA sends it (path index 0, its own node); undefined when there
 * is none.
 */
export function recoveredConnection(event: ConnectionEvent, identity: ConnectionIdentity, node: string): Connection | undefined {
  const found = Object.values(event.connections).find(
    (c) => c.path?.index === 1 && c.path.pathSegments[0]?.id === identity.id && c.mechanism?.type === 'KERNEL',
  );
  if (!found) return undefined;
  return {
    ...found,
    id: identity.id,
    labels: { ...found.labels, nodeName: node },
    ...(found.path ? { path: { ...found.path, index: 0 } } : {}),
  };
}

/**
 * A request that takes a recovered connection over: keeping its context keeps the pod's
 * IPs, and its interface name, asked for again as the request goes out, its interface.
 */
export function takeOverRequest(connection: Connection): NetworkServiceRequest {
  return { connection, mechanismPreferences: [kernelMechanism()] };
}

/**
 * The second half of a reselect (NSM's heal), sent once the connection is closed: the
 * connection as NSM last returned it, path included, so that NSM knows it as the same
 * connection, but without the mechanism and endpoint it chose, so that it picks a new path.
 */
export function reselectRequest(connection: Connection): NetworkServiceRequest {
  const { mechanism: _dropped, ...rest } = connection;
  return {
    connection: { ...rest, networkServiceEndpointName: '', state: 'RESELECT_REQUESTED' },
    mechanismPreferences: [kernelMechanism()],
  };
}

/**
 * A refresh: the connection exactly as NSM last returned it, path included, sent again
 * so that every token on the path is renewed and nothing else changes.
 */
export function refreshRequest(connection: Connection): NetworkServiceRequest {
  return { connection, mechanismPreferences: [] };
}

/**
 * An update of a live connection with a new IP context: the connection as NSM last
 * returned it with only the IP context replaced. Without its path, NSM's updatepath
 * rules would make it a new connection: a second interface, the old one left behind.
 */
export function updateRequest(
  connection: Connection,
  ipContext: NonNullable<NonNullable<Connection['context']>['ipContext']>,
): NetworkServiceRequest {
  const context = connection.context ?? { extraContext: {}, MTU: 0 };
  return { connection: { ...connection, context: { ...context, ipContext } }, mechanismPreferences: [] };
}
