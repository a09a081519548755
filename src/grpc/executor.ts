import * as grpc from '@grpc/grpc-js';
import type { CallError, TapaEffect, TapaEvent } from '../core/index.js';
import type { Connection, StreamStatus } from '../core/wire.js';
import { MonitorConnectionService } from '../wire/networkservice/connection.js';
import { NetworkServiceService } from '../wire/networkservice/networkservice.js';
import { ConfigurationManagerService } from '../wire/nsp/v1/configurationmanager.js';
import { TargetRegistryService } from '../wire/nsp/v1/targetregistry.js';
import { serverStream, unary, type Cancellable, type Headers } from './calls.js';
import { Gate } from './gate.js';
import { expiresInMs, restored, signed, withOwnSegment } from './nsm-path.js';
import type { Security } from './security.js';

/** Where the NSP of a trench and the NSM are, and how to reach them. */
export interface Endpoints {
  nspAddress(trench: string): string;
  /** A grpc-js target, e.g. unix:///var/lib/networkservicemesh/nsm.io.sock. */
  readonly nsmAddress: string;
  readonly security: Security;
  /** MERIDIO_NAME: the name of our segment on NSM paths. */
  readonly name: string;
  /** Reconnect back-off is capped at this (MERIDIO_GRPC_MAX_BACKOFF). */
  readonly maxBackoffMs: number;
}

export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Target-protocol calls in flight to one NSP; the others queue (see Gate). */
const NSP_CALLS_IN_FLIGHT = 256;

/** A refused handshake is reported at most this often per peer. */
const DIAGNOSE_EVERY_MS = 30_000;

/**
 * Turns the core's effects into real calls and timers, and their outcomes back into
 * events. It keeps no TAPA state of its own: only what is in flight, by op id, so that a
 * `cancel` can stop it.
 */
export class Executor {
  private readonly inFlight = new Map<number, Cancellable>();
  /** Trench / conduit / stream of each call in flight, for its log lines. */
  private readonly scopes = new Map<number, object>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly replies = new Map<number, (error?: CallError) => void>();
  private readonly watchers = new Map<number, (statuses: readonly StreamStatus[]) => void>();
  private readonly nsp = new Map<string, grpc.Client>();
  private readonly gates = new Map<string, Gate>();
  private nsm: grpc.Client | undefined;
  private shutdownDone: (() => void) | undefined;
  /** When each peer's failing handshake was last explained in the log. */
  private readonly diagnosed = new Map<string, number>();

  constructor(
    private readonly endpoints: Endpoints,
    private readonly dispatch: (event: TapaEvent) => void,
    private readonly log: Logger,
  ) {
    endpoints.security.onRotation(() => this.rotate());
  }

  /** The answer to Tap call `request` goes to `reply`. */
  expectReply(request: number, reply: (error?: CallError) => void): void {
    this.replies.set(request, reply);
  }

  attachWatcher(watcher: number, send: (statuses: readonly StreamStatus[]) => void): void {
    this.watchers.set(watcher, send);
  }

  detachWatcher(watcher: number): void {
    this.watchers.delete(watcher);
  }

  onShutdownComplete(done: () => void): void {
    this.shutdownDone = done;
  }

  execute(effect: TapaEffect): void {
    if ('scope' in effect) {
      this.scopes.set(effect.op, effect.scope);
      this.log.debug({ ...effect.scope, effect: effect.kind, op: effect.op }, effect.kind);
    }
    switch (effect.kind) {
      case 'reply': {
        const reply = this.replies.get(effect.request);
        this.replies.delete(effect.request);
        return effect.error ? reply?.(effect.error) : reply?.();
      }
      case 'publish':
        return this.watchers.get(effect.watcher)?.(effect.statuses);
      case 'register':
      case 'unregister': {
        const { op, target } = effect;
        const method = effect.kind === 'register' ? TargetRegistryService.register : TargetRegistryService.unregister;
        return this.gated(op, effect.scope.trench, effect.deadlineMs, (client, deadlineMs, release) =>
          this.unaryCall(op, client, method, target, deadlineMs, () => ({ kind: 'done', op }), {}, release));
      }
      case 'getTargets': {
        // Meridio's get-targets: the first message of a Watch, then the watch is dropped.
        const op = effect.op;
        return this.gated(op, effect.scope.trench, effect.deadlineMs, (client, deadlineMs, release) =>
          serverStream(client, TargetRegistryService.watch, effect.filter, { deadlineMs },
            (response) => {
              this.settle(op)?.call.cancel();
              this.dispatch({ kind: 'nspTargets', op, targets: response.targets });
            },
            (error) => {
              release();
              if (this.settle(op)) this.dispatch({ kind: 'failed', op, error: error ?? { code: 'UNAVAILABLE', message: 'target watch ended before its first message' } });
            }));
      }
      case 'watchStreams':
        return this.watch(effect.op, serverStream(this.nspClient(effect.scope.trench), ConfigurationManagerService.watchStream, effect.filter, {},
          (r) => this.dispatch({ kind: 'nspStreams', op: effect.op, streams: r.streams }), (e) => this.ended(effect.op, e)));
      case 'watchFlows':
        return this.watch(effect.op, serverStream(this.nspClient(effect.scope.trench), ConfigurationManagerService.watchFlow, effect.filter, {},
          (r) => this.dispatch({ kind: 'nspFlows', op: effect.op, flows: r.flows }), (e) => this.ended(effect.op, e)));
      case 'monitorConnections':
        return this.watch(effect.op, serverStream(this.nsmClient(), MonitorConnectionService.monitorConnections, effect.selector, {},
          (event) => this.dispatch({ kind: 'nsmEvent', op: effect.op, event }), (e) => this.ended(effect.op, e)));
      case 'nsmRequest': {
        const { op, request } = effect;
        if (!request.connection) return this.unary(op, this.nsmClient(), NetworkServiceService.request, request, effect.deadlineMs, (connection) => this.answered(op, connection, 0));
        return this.withToken(op, request.connection, (connection, index, headers) =>
          this.unary(op, this.nsmClient(), NetworkServiceService.request, { ...request, connection }, effect.deadlineMs, (answer) => this.answered(op, answer, index), headers));
      }
      case 'nsmClose':
        return this.withToken(effect.op, effect.connection, (connection, _index, headers) =>
          this.unary(effect.op, this.nsmClient(), NetworkServiceService.close, connection, effect.deadlineMs, () => ({ kind: 'done', op: effect.op }), headers));
      case 'cancel':
        this.settle(effect.op)?.call.cancel();
        return;
      case 'setTimer': {
        const timer = effect.timer;
        this.timers.set(timer, setTimeout(() => {
          this.timers.delete(timer);
          this.dispatch({ kind: 'timer', timer });
        }, effect.afterMs));
        return;
      }
      case 'cancelTimer':
        clearTimeout(this.timers.get(effect.timer));
        this.timers.delete(effect.timer);
        return;
      case 'releaseTrench':
        this.nsp.get(effect.trench)?.close();
        this.nsp.delete(effect.trench);
        return;
      case 'shutdownComplete':
        return this.shutdownDone?.();
    }
  }

  /** Stops every timer, call and channel: the process is going away. */
  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inFlight.values()) c.cancel();
    this.inFlight.clear();
    for (const c of this.nsp.values()) c.close();
    this.nsp.clear();
    this.nsm?.close();
    this.nsm = undefined;
  }

  private unary<Req, Res>(op: number, client: grpc.Client, method: Parameters<typeof unary<Req, Res>>[1], request: Req, deadlineMs: number, ok: (value: Res) => TapaEvent, headers: Headers = {}): void {
    this.inFlight.set(op, this.unaryCall(op, client, method, request, deadlineMs, ok, headers));
  }

  /** `finished` hears of the answer before anything else happens. */
  private unaryCall<Req, Res>(op: number, client: grpc.Client, method: Parameters<typeof unary<Req, Res>>[1], request: Req, deadlineMs: number, ok: (value: Res) => TapaEvent, headers: Headers, finished = (): void => {}): Cancellable {
    return unary(client, method, request, deadlineMs, (result) => {
      finished();
      const settled = this.settle(op);
      if (!settled) return;
      if (!result.ok) this.log.warn({ ...settled.scope, op, code: result.error.code, error: result.error.message }, `${method.path} failed`);
      this.dispatch(result.ok ? ok(result.value) : { kind: 'failed', op, error: result.error });
    }, headers);
  }

  /**
   * A short NSP call of the target protocol, started when its trench's gate lets it. Its
   * deadline runs from now, not from when it starts: the core's timing assumes so.
   */
  private gated(op: number, trench: string, deadlineMs: number, start: (client: grpc.Client, deadlineMs: number, release: () => void) => Cancellable): void {
    const deadline = Date.now() + deadlineMs;
    let gate = this.gates.get(trench);
    if (!gate) {
      gate = new Gate(NSP_CALLS_IN_FLIGHT);
      this.gates.set(trench, gate);
    }
    this.inFlight.set(op, gate.enter((release) => start(this.nspClient(trench), Math.max(0, deadline - Date.now()), release)));
  }

  /**
   * Puts our segment on the connection's path and, with mTLS, signs it; the same token
   * also goes in the call's headers, where newer NSMgrs read it. Signing is
   * asynchronous, so a placeholder stands in for the call until it is sent.
   */
  private withToken(op: number, connection: Connection, send: (connection: Connection, index: number, headers: Headers) => void): void {
    const placeholder: Cancellable = { cancel: () => {} };
    this.inFlight.set(op, placeholder);
    const fail = (message: string): void => {
      const settled = this.settle(op);
      if (!settled) return;
      this.log.warn({ ...settled.scope, op, error: message }, 'cannot prepare the NSM call');
      this.dispatch({ kind: 'failed', op, error: { code: 'UNAUTHENTICATED', message } });
    };
    let placed: { connection: Connection; index: number };
    try {
      placed = withOwnSegment(connection, this.endpoints.name);
    } catch (err) {
      return fail((err as Error).message);
    }
    this.endpoints.security.nsmToken().then(
      (token) => {
        if (this.inFlight.get(op) !== placeholder) return; // cancelled while signing
        const headers: Headers = token ? { 'nsm-client-token': token.token, 'nsm-client-token-expires': token.expires.toISOString() } : {};
        send(token ? signed(placed.connection, token) : placed.connection, placed.index, headers);
      },
      (err: Error) => fail(`cannot sign the NSM token: ${err.message}`),
    );
  }

  private answered(op: number, answer: Connection, index: number): TapaEvent {
    const connection = restored(answer, index);
    const expires = expiresInMs(connection, Date.now());
    return expires === undefined ? { kind: 'nsmConnection', op, connection } : { kind: 'nsmConnection', op, connection, expiresInMs: expires };
  }

  /**
   * A rotated SVID applies to new connections only, so new calls go out on new channels.
   * The old channels stop taking calls but finish what they carry: answers in flight
   * and open watches keep going on the old certificate, as with Go's TLS.
   */
  private rotate(): void {
    for (const client of this.nsp.values()) client.close();
    this.nsp.clear();
    this.nsm?.close();
    this.nsm = undefined;
    this.log.info({}, 'SVID rotated: new NSP and NSM calls use new channels');
  }

  /** With mTLS, a channel that cannot connect gets its reason explained in the log. */
  private explainFailures(client: grpc.Client, target: string): void {
    if (this.endpoints.security.mode !== 'mtls') return;
    const channel = client.getChannel();
    const follow = (state: grpc.connectivityState): void =>
      channel.watchConnectivityState(state, Infinity, () => {
        const next = channel.getConnectivityState(false);
        if (next === grpc.connectivityState.SHUTDOWN) return;
        if (next === grpc.connectivityState.TRANSIENT_FAILURE) this.diagnose(target);
        follow(next);
      });
    follow(channel.getConnectivityState(false));
  }

  private diagnose(target: string): void {
    const now = Date.now();
    if (now - (this.diagnosed.get(target) ?? -Infinity) < DIAGNOSE_EVERY_MS) return;
    this.diagnosed.set(target, now);
    void this.endpoints.security.diagnose(target).then((reason) => {
      if (reason) this.log.warn({ target, reason }, `cannot connect to ${target} with mTLS: ${reason}`);
    });
  }

  private watch(op: number, call: Cancellable): void {
    this.inFlight.set(op, call);
  }

  private ended(op: number, error: CallError | undefined): void {
    const settled = this.settle(op);
    if (!settled) return;
    if (error) this.log.warn({ ...settled.scope, op, code: error.code, error: error.message }, 'watch ended');
    this.dispatch(error ? { kind: 'failed', op, error } : { kind: 'failed', op });
  }

  /** The call is over (answered, ended or cancelled): forget it, and say what it was. */
  private settle(op: number): { call: Cancellable; scope: object | undefined } | undefined {
    const call = this.inFlight.get(op);
    const scope = this.scopes.get(op);
    this.inFlight.delete(op);
    this.scopes.delete(op);
    return call && { call, scope };
  }

  private nspClient(trench: string): grpc.Client {
    let client = this.nsp.get(trench);
    if (!client) {
      client = this.channel(this.endpoints.nspAddress(trench));
      this.nsp.set(trench, client);
    }
    return client;
  }

  private nsmClient(): grpc.Client {
    this.nsm ??= this.channel(this.endpoints.nsmAddress);
    return this.nsm;
  }

  private channel(target: string): grpc.Client {
    const client = new grpc.Client(target, this.endpoints.security.credentials(), this.channelOptions());
    this.explainFailures(client, target);
    return client;
  }

  private channelOptions(): grpc.ChannelOptions {
    return {
      // Without keepalive a re-created NSP Service took minutes to be noticed (Meridio PR #349).
      'grpc.keepalive_time_ms': 20_000,
      'grpc.max_reconnect_backoff_ms': this.endpoints.maxBackoffMs,
      'grpc.initial_reconnect_backoff_ms': Math.min(1_000, this.endpoints.maxBackoffMs),
    };
  }
}
