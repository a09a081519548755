import { formatPrefixes } from '../../core/prefix.js';
import { emptyIpContext } from '../../core/vip.js';
import type { Connection, ConnectionEvent, IPContext, MonitorScopeSelector, NetworkServiceRequest } from '../../core/wire.js';
import { Bridge, bridgeIndexOf } from './bridge.js';
import { Listeners } from './listeners.js';
import { copyMessage } from './message.js';
import { inScope, monitorView } from './monitorscope.js';

/** NetworkService.Request failed; the world answers with a gRPC error. */
export class NsmRequestFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NsmRequestFailed';
  }
}

/** NetworkService.Close failed; the world answers with a gRPC error. */
export class NsmCloseFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NsmCloseFailed';
  }
}

/**
 * A Request or Close that a real NSMgr refuses. Its chain returns plain errors, which
 * reach the client as UNKNOWN.
 */
export class NsmRefused extends Error {
  readonly grpcCode = 'UNKNOWN';
  constructor(message: string) {
    super(message);
    this.name = 'NsmRefused';
  }
}

export interface NsmOptions {
  /**
   * The proxy got no bridge IPs, so NSM reports no gateways (extra_prefixes): the
   * trigger of Meridio #578.
   */
  readonly faultyProxy?: boolean;
}

interface Held {
  /** As answered to Request: path index 0. */
  connection: Connection;
  /**
   * The addresses the proxy's IPAM gave this connection. They stay its own even while
   * NSM does not report them (loseAddresses): like NSM's point-to-point IPAM, every
   * later Request puts them back first.
   */
  local: string[];
}

const INTERFACE_NAME_KEY = 'name';
const MTU = 1500;
/** The name of NSMgr's own segment of a path; its id is NSMgr's id for the connection. */
export const NSMGR_SEGMENT = 'nsmgr';
/** Linux's limit on an interface name (IFNAMSIZ less its NUL). */
const MAX_INTERFACE_NAME = 15;
/** What Meridio's interface name client asks for. */
const MERIDIO_INTERFACE_NAME = /^nsm-\d+$/;

/**
 * NSM and the conduit proxies as the TAPAs see them (reference §3): connections to
 * `proxy.<conduit>.<trench>.<namespace>` with local IPs from the service's bridge, the
 * bridge gateways as extra prefixes, a monitor, and the faults a world throws at it.
 * Synchronous and deterministic; the world schedules calls and delivers events.
 */
export class NsmModel {
  failRequests = false;
  failCloses = false;
  readonly faultyProxy: boolean;
  private readonly bridges = new Map<string, Bridge>();
  private readonly held = new Map<string, Held>();
  private readonly history = new Map<string, string[]>();
  private readonly listeners = new Listeners<ConnectionEvent>();
  private readonly broken: string[] = [];
  private minted = 0;

  constructor(options: NsmOptions = {}) {
    this.faultyProxy = options.faultyProxy ?? false;
  }

  /**
   * A new connection (unknown id, or a reselect) gets fresh local IPs; a known one is an
   * update that may only change the source addresses and policies.
   *
   * As NSMgr, the model follows NSM's updatepath rules: it refuses a path that
   * contradicts the connection, and a Request that does not carry the NSMgr segment of
   * the connection it holds is, for a real NSMgr, a new connection with a second
   * interface. The model records that as a violation (see `violations`) and goes on
   * serving it as the update the client meant.
   */
  request(request: NetworkServiceRequest): Connection {
    if (this.failRequests) throw new NsmRequestFailed('NSM failed the request');
    const asked = request.connection;
    if (!asked || asked.id === '' || asked.networkService === '') {
      throw new NsmRequestFailed('a request must name a connection id and a network service');
    }
    const segment = nsmgrSegment(asked);
    const known = this.held.get(asked.id);
    const held = known && asked.state !== 'RESELECT_REQUESTED' ? this.update(known, asked) : this.create(request, asked, known, segment);
    if (known) this.samePath(known, segment, 'Request');
    this.held.set(asked.id, held);
    // NSM's monitor reports every Request that passes, changed or not.
    this.emit('UPDATE', held.connection);
    return copyMessage(held.connection);
  }

  /**
   * Unknown connections are fine: closing twice is not an error in NSM either. A Close
   * that does not carry the connection's NSMgr segment closes nothing there (NSMgr knows
   * it by another id) and is a violation.
   */
  close(connection: Connection): void {
    if (this.failCloses) throw new NsmCloseFailed('NSM failed the close');
    const segment = nsmgrSegment(connection);
    const known = this.held.get(connection.id);
    if (known && !this.samePath(known, segment, 'Close')) return;
    this.forget(connection.id);
  }

  /**
   * A connection NSM already holds when the run begins (a TAPA restored from a
   * recording), as the TAPA last saw it: its addresses on the bridge stay its own.
   */
  adopt(connection: Connection): void {
    const index = sources(connection)
      .map(bridgeIndexOf)
      .find((n) => n !== undefined);
    const bridge = this.bridge(connection.networkService, index);
    const local = sources(connection).filter((a) => bridge.holds(a));
    if (local.length > 0) bridge.claim(local);
    const path = connection.path && { ...copyMessage(connection.path), index: 0 };
    this.held.set(connection.id, { connection: { ...copyMessage(connection), ...(path ? { path } : {}) }, local: [...local] });
    this.history.set(connection.id, [...(this.history.get(connection.id) ?? []), ...local]);
  }

  /** World rules a client broke so far, for the harness to report (empty: none). */
  violations(): readonly string[] {
    return this.broken;
  }

  /**
   * NSM healed the data path through another proxy instance: new local IPs, the VIPs kept,
   * and the path is up again. False when the id is unknown (the TAPA may have closed it).
   */
  heal(id: string): boolean {
    const held = this.held.get(id);
    if (!held) return false;
    const bridge = this.bridge(held.connection.networkService);
    const local = this.allocate(id, bridge);
    const others = sources(held.connection).filter((a) => !held.local.includes(a));
    bridge.release(held.local);
    held.local = local;
    held.connection = withSources({ ...held.connection, state: 'UP' }, [...local, ...others]);
    this.emit('UPDATE', held.connection);
    return true;
  }

  /** The data path is down; the TAPA should ask for a reselect. */
  down(id: string): boolean {
    const held = this.held.get(id);
    if (!held) return false;
    held.connection = { ...held.connection, state: 'DOWN' };
    this.emit('UPDATE', held.connection);
    return true;
  }

  /** NSM forgets the connection as if it had been closed. */
  drop(id: string): boolean {
    return this.forget(id);
  }

  /** NSM reports the connection without its local IPs; only the VIPs are left. */
  loseAddresses(id: string): boolean {
    const held = this.held.get(id);
    if (!held) return false;
    held.connection = withSources(
      held.connection,
      sources(held.connection).filter((a) => !held.local.includes(a)),
    );
    this.emit('UPDATE', held.connection);
    return true;
  }

  /**
   * When the connection's path runs out (ms since the epoch): the earliest expiry of a
   * token on it, as the client last sent it; undefined when none carries one.
   */
  expiresAt(id: string): number | undefined {
    const segments = this.held.get(id)?.connection.path?.pathSegments ?? [];
    const times = segments.flatMap((s) => (s.expires === undefined ? [] : [Date.parse(s.expires)])).filter((t) => !Number.isNaN(t));
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /**
   * NSMgr closes a connection whose path token ran out by `now` without a refresh (its
   * client died or stopped refreshing), and the monitor reports it deleted. False when
   * the connection is gone or was refreshed since.
   */
  expire(id: string, now: number): boolean {
    const at = this.expiresAt(id);
    return at !== undefined && at <= now && this.forget(id);
  }

  /** UPDATE and DELETE events, each about one connection, as a monitor reports them. */
  onEvent(listener: (event: ConnectionEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** The first message of MonitorConnections: every live connection the selector sees. */
  snapshot(selector: MonitorScopeSelector): ConnectionEvent {
    const connections: Record<string, Connection> = {};
    for (const [id, { connection }] of this.held) if (inScope(connection, selector)) connections[id] = monitorView(connection);
    return { type: 'INITIAL_STATE_TRANSFER', connections };
  }

  /** As answered to Request (path index 0), a copy. */
  connection(id: string): Connection | undefined {
    const held = this.held.get(id);
    return held && copyMessage(held.connection);
  }

  /** Like connection(id), without a copy: for checkers, which must not change it. */
  peek(id: string): Readonly<Connection> | undefined {
    return this.held.get(id)?.connection;
  }

  connections(): Connection[] {
    return [...this.held.values()].map((h) => copyMessage(h.connection));
  }

  /** Every local address ever given to this id, oldest first: whose targets are whose. */
  addressesOf(id: string): string[] {
    return [...(this.history.get(id) ?? [])];
  }

  private create(request: NetworkServiceRequest, asked: Connection, previous: Held | undefined, segment: string | undefined): Held {
    const pod = podOf(asked);
    const before = previous?.connection.mechanism?.parameters[INTERFACE_NAME_KEY];
    // A TAPA that takes a connection over hands its interface name back as a preference.
    const interfaceName = request.mechanismPreferences[0]?.parameters[INTERFACE_NAME_KEY] ?? before ?? this.freeInterfaceName(pod);
    this.checkInterfaceName(asked.id, pod, interfaceName);
    if (before !== undefined && before !== interfaceName)
      this.violate(`${asked.id}: interface ${before} renamed ${interfaceName} by a reselect`);
    const bridge = this.bridge(asked.networkService);
    const local = this.allocate(asked.id, bridge);
    // A reselect moves the connection to new addresses.
    if (previous) this.bridge(previous.connection.networkService).release(previous.local);
    const ipContext: IPContext = {
      ...emptyIpContext(),
      srcIpAddrs: [...local],
      extraPrefixes: this.faultyProxy ? [] : [...bridge.gateways],
    };
    const connection: Connection = {
      id: asked.id,
      networkService: asked.networkService,
      // The chosen mechanism keeps what the client asked for in it (where its namespace is).
      mechanism: {
        cls: 'LOCAL',
        type: 'KERNEL',
        parameters: { ...request.mechanismPreferences[0]?.parameters, [INTERFACE_NAME_KEY]: interfaceName },
      },
      context: { ipContext, extraContext: {}, MTU },
      labels: { ...asked.labels },
      // A path that names NSMgr's segment keeps it (a reselect); otherwise NSMgr makes one.
      path: pathOf(asked, segment ?? `${asked.id}~${NSMGR_SEGMENT}-${++this.minted}`),
      networkServiceEndpointName: `proxy-${asked.networkService}`,
      payload: 'ETHERNET',
      state: 'UP',
    };
    return { connection, local };
  }

  /**
   * The request's source addresses are echoed (the VIPs), after the connection's own:
   * the proxy keeps a pod's IPs whatever it asks, and never lets it claim another
   * address of the bridge, which belongs to some other pod.
   */
  private update(held: Held, asked: Connection): Held {
    const name = held.connection.mechanism?.parameters[INTERFACE_NAME_KEY];
    const wanted = asked.mechanism?.parameters[INTERFACE_NAME_KEY];
    if (wanted !== undefined && wanted !== name) this.violate(`${asked.id}: interface ${name} renamed ${wanted} by an update`);
    const path = pathOf(asked, nsmgrIdOf(held.connection));
    const ip = asked.context?.ipContext;
    // A refresh that changes nothing else still brings a new token, and its expiry.
    if (!ip) return { ...held, connection: { ...held.connection, path } };
    const bridge = this.bridge(held.connection.networkService);
    const echoed = formatPrefixes(ip.srcIpAddrs).filter((a) => !held.local.includes(a) && !bridge.holds(a));
    const connection = { ...withSources(held.connection, [...held.local, ...echoed]), path };
    const context = connection.context!;
    return {
      ...held,
      connection: { ...connection, context: { ...context, ipContext: { ...context.ipContext!, policies: copyMessage(ip.policies) } } },
    };
  }

  private forget(id: string): boolean {
    const held = this.held.get(id);
    if (!held) return false;
    this.held.delete(id);
    this.bridge(held.connection.networkService).release(held.local);
    this.emit('DELETE', held.connection);
    return true;
  }

  /**
   * Bridges are numbered in the order their services are first asked for, the lowest
   * number free; an adopted connection's bridge keeps the number its addresses carry.
   */
  private bridge(service: string, index?: number): Bridge {
    let bridge = this.bridges.get(service);
    if (!bridge) {
      const taken = new Set([...this.bridges.values()].map((b) => b.index));
      let n = index ?? 0;
      while (index === undefined && taken.has(n)) n++;
      bridge = new Bridge(n);
      this.bridges.set(service, bridge);
    }
    return bridge;
  }

  private allocate(id: string, bridge: Bridge): string[] {
    const local = bridge.allocate();
    const history = this.history.get(id) ?? [];
    history.push(...local);
    this.history.set(id, history);
    return local;
  }

  /** For a client that asks for no name, what Meridio's interface name client would: nsm-<k>, the lowest k free in the pod. */
  private freeInterfaceName(pod: string): string {
    const used = new Set(this.namesIn(pod, undefined));
    let k = 0;
    while (used.has(`nsm-${k}`)) k++;
    return `nsm-${k}`;
  }

  private namesIn(pod: string, except: string | undefined): (string | undefined)[] {
    return [...this.held.values()]
      .filter((h) => h.connection.id !== except && podOf(h.connection) === pod)
      .map((h) => h.connection.mechanism?.parameters[INTERFACE_NAME_KEY]);
  }

  /** The forwarder cannot make an interface whose name Linux refuses, or one the pod already has. */
  private checkInterfaceName(id: string, pod: string, name: string): void {
    if (name.length === 0 || name.length > MAX_INTERFACE_NAME || /[\s/:]/.test(name)) {
      throw new NsmRefused(`interface name "${name}" is not a valid Linux interface name (at most ${MAX_INTERFACE_NAME} characters)`);
    }
    if (this.namesIn(pod, id).includes(name)) throw new NsmRefused(`interface ${name} already exists in the pod of ${id}`);
    if (!MERIDIO_INTERFACE_NAME.test(name)) this.violate(`${id}: interface name ${name} is not nsm-<number>`);
  }

  /** Whether a call carries the NSMgr segment of the connection it names; a violation when not. */
  private samePath(held: Held, segment: string | undefined, call: 'Request' | 'Close'): boolean {
    const id = nsmgrIdOf(held.connection);
    if (segment === id) return true;
    const carried = segment === undefined ? 'no NSMgr segment' : `NSMgr segment ${segment}`;
    this.violate(`${held.connection.id}: ${call} with ${carried}, not ${id}: NSMgr takes it for another connection (a second interface)`);
    return false;
  }

  private violate(rule: string): void {
    this.broken.push(`NSM: ${rule}`);
  }

  private emit(type: 'UPDATE' | 'DELETE', connection: Connection): void {
    this.listeners.emit({ type, connections: { [connection.id]: monitorView(connection) } });
  }
}

function sources(connection: Connection): string[] {
  return connection.context?.ipContext?.srcIpAddrs ?? [];
}

function withSources(connection: Connection, srcIpAddrs: string[]): Connection {
  const context = connection.context ?? { extraContext: {}, MTU };
  return { ...connection, context: { ...context, ipContext: { ...emptyIpContext(), ...context.ipContext, srcIpAddrs } } };
}

/**
 * The path answered: the client's own segment as it sent it, with its token and expiry,
 * then NSMgr's; a client that sent none gets one segment named 'tapa'.
 */
function pathOf(asked: Connection, nsmgrId: string): NonNullable<Connection['path']> {
  const own = asked.path?.pathSegments[asked.path.index];
  return {
    index: 0,
    pathSegments: [
      own ? copyMessage(own) : { name: 'tapa', id: asked.id, token: '', metrics: {} },
      { name: NSMGR_SEGMENT, id: nsmgrId, token: '', metrics: {} },
    ],
  };
}

function nsmgrIdOf(connection: Connection): string {
  return connection.path!.pathSegments[1]!.id;
}

/** Whose interface it is: the client named on its own segment of the path. */
function podOf(connection: Connection): string {
  const path = connection.path;
  return path?.pathSegments[path.index]?.name ?? 'tapa';
}

/**
 * The NSMgr segment a call's path carries, by NSM's updatepath rules as NSMgr applies
 * them: the client's segment is the current one and names the connection, and NSMgr's is
 * the next, if it is there.
 */
function nsmgrSegment(asked: Connection): string | undefined {
  const path = asked.path;
  if (!path || path.pathSegments.length === 0) return undefined;
  const current = path.pathSegments[path.index];
  if (!current) throw new NsmRefused(`path index ${path.index} lies beyond its ${path.pathSegments.length} segments`);
  if (current.id !== asked.id) throw new NsmRefused(`path segment ${path.index} is for ${current.id}, the connection is ${asked.id}`);
  const next = path.pathSegments[path.index + 1];
  return next?.name === NSMGR_SEGMENT ? next.id : undefined;
}
