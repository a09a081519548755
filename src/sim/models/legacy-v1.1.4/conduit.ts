import type { Connection, ConnectionEvent, TapStream } from '../../../core/wire.js';
import { frame, type Context, type Go, type Mutex } from '../../goroutine/index.js';
import { NAMESPACE } from '../../harness/scenario.js';
import { formatPrefixes, getIPsInGatewaySubnet, getLocalIPs, sameSet } from './addresses.js';
import { ConduitConfiguration } from './configuration.js';
import { go, MONITOR_RETRY_DELAY, NSP_ENTRY_TIMEOUT, type Proc } from './process.js';
import type { Registry } from './registry.js';
import { connectionId, connectRequest, networkServiceName, vipIPContext, vipUpdateRequest } from './request.js';
import { retryDo } from './retry.js';
import { call, Inbox } from './rpc.js';
import type { IPSource } from './stream.js';
import { StreamManager } from './stream-manager.js';

function gatewaysOf(c: Connection | undefined): string[] {
  return c?.context?.ipContext?.extraPrefixes ?? [];
}

function sourcesOf(c: Connection | undefined): string[] {
  return c?.context?.ipContext?.srcIpAddrs ?? [];
}

/** The first connection of a monitor event whose first path segment has our id. */
function connectionOf(event: ConnectionEvent, id: string): Connection | undefined {
  return Object.values(event.connections).find((c) => c.path?.pathSegments[0]?.id === id);
}

/**
 * conduit.Conduit (conduit.mu, L5): one NSM connection with its stream manager, stream
 * list watcher and connection monitor. Connect, Disconnect, SetVIPs and each monitor
 * event hold conduit.mu for their whole body, NSM RPCs and sm.Stop included.
 */
export class Conduit implements IPSource {
  readonly sm: StreamManager;
  private readonly mu: Mutex;
  private readonly networkService: string;
  private readonly id: string;
  private readonly ccfg: ConduitConfiguration;
  private connection: Connection | undefined;
  private localIPs: string[] = [];
  private vips: string[] = [];
  private monitorCancel: (() => void) | undefined;

  constructor(
    private readonly p: Proc,
    readonly tap: { readonly name: string; readonly trench: string },
    registry: Registry,
  ) {
    this.mu = p.rt.mutex('conduit.mu');
    this.networkService = networkServiceName(tap.name, tap.trench, NAMESPACE);
    this.id = connectionId(p.spec.name, this.networkService);
    this.sm = new StreamManager(p, this, registry);
    this.ccfg = new ConduitConfiguration(p, tap.trench, tap.name, (list) => this.sm.setStreams(list));
  }

  equals(c: { readonly name: string; readonly trench: string }): boolean {
    return c.name === this.tap.name && c.trench === this.tap.trench;
  }

  *getIPs(): Go<string[]> {
    return yield* frame('conduit.(*Conduit).GetIPs', this.getIPsBody());
  }

  *connect(ctx: Context): Go<string | undefined> {
    return yield* frame('conduit.(*Conduit).Connect', this.connectBody(ctx));
  }

  *disconnect(ctx: Context): Go<string | undefined> {
    return yield* frame('conduit.(*Conduit).Disconnect', this.disconnectBody(ctx));
  }

  *setVIPs(ctx: Context, vips: readonly string[]): Go<string | undefined> {
    return yield* frame('conduit.(*Conduit).SetVIPs', this.setVIPsBody(ctx, vips));
  }

  *addStream(s: TapStream): Go<void> {
    yield* frame('conduit.(*Conduit).AddStream', this.sm.addStream(s));
  }

  *removeStream(ctx: Context, s: TapStream): Go<void> {
    yield* frame('conduit.(*Conduit).RemoveStream', this.sm.removeStream(ctx, s));
  }

  *getStreams(): Go<TapStream[]> {
    return yield* frame('conduit.(*Conduit).GetStreams', this.sm.getStreams());
  }

  private *getIPsBody(): Go<string[]> {
    yield* this.mu.lock();
    const ips = this.connection === undefined ? [] : [...this.localIPs];
    this.mu.unlock();
    return ips;
  }

  /**
   * §3.2. Simplified: the recovery of a connection left by a previous incarnation (one
   * MonitorConnections message before the Request) is not modelled: a simulated TAPA
   * never restarts.
   */
  private *connectBody(ctx: Context): Go<string | undefined> {
    yield* this.mu.lock();
    try {
      if (this.connection !== undefined) return undefined;
      const { rt, env, spec } = this.p;
      const request = connectRequest(this.id, this.networkService, spec.node);
      const r = yield* call<Connection>(
        rt,
        'NetworkService.Request',
        (done) => env.request(spec.name, `${spec.name} NSM Request ${this.tap.name}`, request, done),
        ctx,
      );
      if (!r.ok) return `nsc connection request error: ${r.error.message}`;
      this.connection = r.value;
      const gateways = gatewaysOf(r.value);
      // Go: the gateway filter only when gateways exist; else the raw source addresses.
      this.localIPs = gateways.length > 0 ? getLocalIPs(sourcesOf(r.value), this.vips, gateways) : [...sourcesOf(r.value)];
      yield* this.ccfg.watch();
      const monitor = rt.withCancel(rt.background());
      this.monitorCancel = monitor.cancel;
      go(this.p, 'conduit.(*Conduit).monitorConnection', () => this.monitorConnection(monitor.ctx));
      yield* this.sm.run();
      return undefined;
    } finally {
      this.mu.unlock();
    }
  }

  private *disconnectBody(ctx: Context): Go<string | undefined> {
    yield* this.mu.lock();
    try {
      this.monitorCancel?.();
      this.monitorCancel = undefined;
      yield* this.ccfg.stop();
      yield* this.sm.stop(ctx);
      let err: string | undefined;
      const connection = this.connection;
      if (connection !== undefined) {
        const { rt, env, spec } = this.p;
        const r = yield* call<void>(
          rt,
          'NetworkService.Close',
          (done) => env.close(spec.name, `${spec.name} NSM Close ${this.tap.name}`, connection, done),
          ctx,
        );
        if (!r.ok) err = `nsc connection close error: ${r.error.message}`;
      }
      this.connection = undefined;
      this.vips = [];
      return err;
    } finally {
      this.mu.unlock();
    }
  }

  /** §3.3: a single attempt; G-vipHandler retries. */
  private *setVIPsBody(ctx: Context, vips: readonly string[]): Go<string | undefined> {
    yield* this.mu.lock();
    try {
      const connection = this.connection;
      if (connection === undefined) return undefined;
      const gateways = gatewaysOf(connection);
      const vipsSet = formatPrefixes(vips);
      // QUIRK kept: compares the unfiltered set with the stored filtered one.
      if (sameSet(vipsSet, this.vips)) return undefined;
      const inGw = getIPsInGatewaySubnet(vips, gateways);
      const kept = vipsSet.filter((v) => !inGw.includes(v));
      // Mutates the stored connection before the RPC (QUIRK kept).
      const ipContext = vipIPContext(connection.context?.ipContext, this.localIPs, kept);
      connection.context = { extraContext: {}, MTU: 0, ...connection.context, ipContext };
      const { rt, env, spec } = this.p;
      const request = vipUpdateRequest(connection, ipContext);
      const r = yield* call<Connection>(
        rt,
        'NetworkService.Request',
        (done) => env.request(spec.name, `${spec.name} NSM Request (VIPs) ${this.tap.name}`, request, done),
        ctx,
      );
      if (!r.ok) return `nsc connection update error: ${r.error.message}`;
      this.connection = r.value;
      this.vips = kept;
      // Always the gateway filter here: [] when the proxy gave no gateways (#578 trigger).
      this.localIPs = getLocalIPs(sourcesOf(r.value), kept, gatewaysOf(r.value));
      return undefined;
    } finally {
      this.mu.unlock();
    }
  }

  /** G-monitor (§3.5): restarts the streams under conduit.mu when the local IPs change. */
  private monitorConnection(ctx: Context): Go<string | undefined> {
    return retryDo(this.p.rt, ctx, 'conduit.(*Conduit).monitorConnection.func1', () => this.monitorAttempt(ctx), {
      delayMs: MONITOR_RETRY_DELAY,
      ignoreErrors: true,
    });
  }

  private *monitorAttempt(ctx: Context): Go<string | undefined> {
    const { rt, env, spec } = this.p;
    const id = this.id;
    const inbox = new Inbox<ConnectionEvent>(rt, 'MonitorConnections.recv');
    const sub = env.monitor(
      spec.name,
      `${spec.name} MonitorConnections ${this.tap.name}`,
      { pathSegments: [{ name: '', id, token: '', metrics: {} }] },
      inbox.push,
      inbox.end,
    );
    for (;;) {
      const item = yield* inbox.receive(ctx);
      if (item === undefined) {
        sub.cancel();
        return undefined;
      }
      if ('error' in item) return item.error.message;
      const event = item.value;
      const c = connectionOf(event, id);
      if (c === undefined || c.state === 'DOWN' || event.type === 'DELETE') continue;
      yield* this.mu.lock();
      if (this.connection !== undefined) {
        this.connection.context = c.context;
        const ips = getLocalIPs(sourcesOf(this.connection), this.vips, gatewaysOf(this.connection));
        if (!sameSet(ips, this.localIPs)) {
          // "Connection IPs updated, streams require update": Stop and Run under conduit.mu (#578).
          this.localIPs = ips;
          const stop = rt.withTimeout(rt.background(), 2 * NSP_ENTRY_TIMEOUT);
          yield* this.sm.stop(stop.ctx);
          stop.cancel();
          yield* this.sm.run();
        }
      }
      this.mu.unlock();
    }
  }
}
