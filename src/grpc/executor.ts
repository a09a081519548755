import * as grpc from '@grpc/grpc-js';
import type { CallError, TapaEffect, TapaEvent } from '../core/index.js';
import type { StreamStatus } from '../core/wire.js';
import { MonitorConnectionService } from '../wire/networkservice/connection.js';
import { NetworkServiceService } from '../wire/networkservice/networkservice.js';
import { ConfigurationManagerService } from '../wire/nsp/v1/configurationmanager.js';
import { TargetRegistryService } from '../wire/nsp/v1/targetregistry.js';
import { serverStream, unary, type Cancellable } from './calls.js';

/** Where the NSP of a trench and the NSM are, and how to reach them. */
export interface Endpoints {
  nspAddress(trench: string): string;
  /** A grpc-js target, e.g. unix:///var/lib/networkservicemesh/nsm.io.sock. */
  readonly nsmAddress: string;
  readonly credentials: grpc.ChannelCredentials;
  /** Reconnect back-off is capped at this (MERIDIO_GRPC_MAX_BACKOFF). */
  readonly maxBackoffMs: number;
}

export interface Logger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

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
  private nsm: grpc.Client | undefined;
  private shutdownDone: (() => void) | undefined;

  constructor(
    private readonly endpoints: Endpoints,
    private readonly dispatch: (event: TapaEvent) => void,
    private readonly log: Logger,
  ) {}

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
        return this.unary(effect.op, this.nspClient(effect.scope.trench), TargetRegistryService.register, effect.target, effect.deadlineMs, () => ({ kind: 'done', op: effect.op }));
      case 'unregister':
        return this.unary(effect.op, this.nspClient(effect.scope.trench), TargetRegistryService.unregister, effect.target, effect.deadlineMs, () => ({ kind: 'done', op: effect.op }));
      case 'getTargets': {
        // Meridio's get-targets: the first message of a Watch, then the watch is dropped.
        const op = effect.op;
        const call = serverStream(this.nspClient(effect.scope.trench), TargetRegistryService.watch, effect.filter, { deadlineMs: effect.deadlineMs },
          (response) => {
            this.settle(op)?.call.cancel();
            this.dispatch({ kind: 'nspTargets', op, targets: response.targets });
          },
          (error) => {
            if (this.settle(op)) this.dispatch({ kind: 'failed', op, error: error ?? { code: 'UNAVAILABLE', message: 'target watch ended before its first message' } });
          });
        this.inFlight.set(op, call);
        return;
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
      case 'nsmRequest':
        return this.unary(effect.op, this.nsmClient(), NetworkServiceService.request, effect.request, effect.deadlineMs, (connection) => ({ kind: 'nsmConnection', op: effect.op, connection }));
      case 'nsmClose':
        return this.unary(effect.op, this.nsmClient(), NetworkServiceService.close, effect.connection, effect.deadlineMs, () => ({ kind: 'done', op: effect.op }));
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

  private unary<Req, Res>(op: number, client: grpc.Client, method: Parameters<typeof unary<Req, Res>>[1], request: Req, deadlineMs: number, ok: (value: Res) => TapaEvent): void {
    this.inFlight.set(op, unary(client, method, request, deadlineMs, (result) => {
      const settled = this.settle(op);
      if (!settled) return;
      if (!result.ok) this.log.warn({ ...settled.scope, op, code: result.error.code, error: result.error.message }, `${method.path} failed`);
      this.dispatch(result.ok ? ok(result.value) : { kind: 'failed', op, error: result.error });
    }));
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
      client = new grpc.Client(this.endpoints.nspAddress(trench), this.endpoints.credentials, this.channelOptions());
      this.nsp.set(trench, client);
    }
    return client;
  }

  private nsmClient(): grpc.Client {
    this.nsm ??= new grpc.Client(this.endpoints.nsmAddress, this.endpoints.credentials, this.channelOptions());
    return this.nsm;
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
