import { expect } from 'chai';
import type { CallEffect, TapaEffect } from '../../src/core/effects.js';
import type { TapaEvent } from '../../src/core/events.js';
import { invariants } from '../../src/core/invariants.js';
import { initialState, type StreamState, type TapaState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';
import { streamOf } from '../../src/core/trench.js';
import { emptyIpContext } from '../../src/core/vip.js';
import type { CoreConfig } from '../../src/core/config.js';
import type { Connection, NspFlow, NspStream, NspTarget, TapStream } from '../../src/core/wire.js';

/**
 * Drives one core instance by hand: feeds events, keeps every effect, and checks the
 * invariants after each step. Tests answer calls explicitly, so each step of a
 * protocol is visible in the test.
 */
export class Driver {
  readonly state: TapaState;
  /** Effects of the last step. */
  last: TapaEffect[] = [];
  /** Every effect so far. */
  readonly all: TapaEffect[] = [];
  private request = 0;

  constructor(seed = 1, config: Partial<CoreConfig> = {}) {
    this.state = initialState(seed, { name: 'pod-a', node: 'node-1', namespace: 'red', ...config });
  }

  send(event: TapaEvent): TapaEffect[] {
    this.last = step(this.state, event);
    this.all.push(...this.last);
    expect(invariants(this.state), `invariants after ${event.kind}`).to.deep.equal([]);
    return this.last;
  }

  open(stream: TapStream | undefined): TapaEffect[] {
    return this.send({ kind: 'tapOpen', request: ++this.request, stream });
  }

  close(stream: TapStream | undefined): TapaEffect[] {
    return this.send({ kind: 'tapClose', request: ++this.request, stream });
  }

  /** The one pending call of this kind (optionally matching), among all effects so far. */
  pending<K extends CallEffect['kind']>(
    kind: K,
    where: (e: Extract<CallEffect, { kind: K }>) => boolean = () => true,
  ): Extract<CallEffect, { kind: K }> {
    const found = this.openCalls(kind).filter(where);
    expect(found, `pending ${kind} calls`).to.have.length(1);
    return found[0]!;
  }

  openCalls<K extends CallEffect['kind']>(kind: K): Extract<CallEffect, { kind: K }>[] {
    return this.all.filter((e): e is Extract<CallEffect, { kind: K }> => e.kind === kind && this.state.pending.has((e as CallEffect).op));
  }

  done(op: number): TapaEffect[] {
    return this.send({ kind: 'done', op });
  }

  fail(op: number, code: 'UNAVAILABLE' | 'DEADLINE_EXCEEDED' = 'UNAVAILABLE'): TapaEffect[] {
    return this.send({ kind: 'failed', op, error: { code, message: 'injected' } });
  }

  /** Fires the live timer set for this owner kind, e.g. the one stream timer. */
  fire(timer: number): TapaEffect[] {
    return this.send({ kind: 'timer', timer });
  }

  timerOf(afterMs: number): number {
    const live = this.all.filter(
      (e): e is Extract<TapaEffect, { kind: 'setTimer' }> => e.kind === 'setTimer' && this.state.timers.has(e.timer),
    );
    const found = live.filter((e) => e.afterMs === afterMs);
    expect(found, `live timers of ${afterMs} ms`).to.have.length(1);
    return found[0]!.timer;
  }

  /** The live back-off timer of a stream: 1 s with jitter, so in [500, 1500] ms. */
  retryTimer(): number {
    const live = this.all.filter(
      (e): e is Extract<TapaEffect, { kind: 'setTimer' }> => e.kind === 'setTimer' && this.state.timers.get(e.timer)?.kind === 'stream',
    );
    const found = live.filter((e) => e.afterMs >= 500 && e.afterMs <= 1_500);
    expect(found, 'live stream back-off timers').to.have.length(1);
    return found[0]!.timer;
  }

  replies(): Extract<TapaEffect, { kind: 'reply' }>[] {
    return this.last.filter((e): e is Extract<TapaEffect, { kind: 'reply' }> => e.kind === 'reply');
  }

  /** The statuses of the last snapshot sent to a watcher. */
  lastSnapshot(watcher: number): { name: string; status: string }[] | undefined {
    for (let i = this.all.length - 1; i >= 0; i--) {
      const e = this.all[i]!;
      if (e.kind === 'publish' && e.watcher === watcher) return e.statuses.map((s) => ({ name: s.stream?.name ?? '', status: s.status }));
    }
    return undefined;
  }
}

export const TRENCH = 'trench-a';

/** The stream Tap.Watch reports under `key`, if any. */
export function watched(state: TapaState, key: string): StreamState | undefined {
  const at = state.registry.get(key);
  return at && streamOf(state, at);
}

export function tapStream(stream: string, conduit = 'load-balancer-a1', trench = TRENCH): TapStream {
  return { name: stream, conduit: { name: conduit, trench: { name: trench } } };
}

export function nspStream(name: string, conduit = 'load-balancer-a1', maxTargets = 100, trench = TRENCH): NspStream {
  return { name, maxTargets, conduit: { name: conduit, destinationPortNats: [], trench: { name: trench } } };
}

export function flow(vips: string[], conduit = 'load-balancer-a1', trench = TRENCH): NspFlow {
  return {
    name: 'flow',
    sourceSubnets: [],
    destinationPortRanges: [],
    sourcePortRanges: [],
    protocols: [],
    priority: 0,
    byteMatches: [],
    stream: { name: 's', maxTargets: 0, conduit: { name: conduit, destinationPortNats: [], trench: { name: trench } } },
    vips: vips.map((address) => ({ name: address, address })),
  };
}

/** What the proxy answers to a Request: the request's connection with an IP context. */
export function answered(
  request: { connection?: Connection | undefined },
  src: string[],
  gateways: string[] = ['172.16.0.1/24', 'fd00::1/64'],
): Connection {
  const c = request.connection!;
  return {
    ...c,
    state: 'UP',
    path: { index: 0, pathSegments: [{ name: 'pod-a', id: c.id, token: '', metrics: {} }] },
    context: {
      extraContext: {},
      MTU: 1500,
      ipContext: { ...emptyIpContext(), srcIpAddrs: src, extraPrefixes: gateways },
    },
  };
}

export function target(
  ips: string[],
  identifier: number | undefined,
  status: 'ENABLED' | 'DISABLED',
  stream = nspStream('stream-a1', 'load-balancer-a1', 0),
): NspTarget {
  return { ips, context: identifier === undefined ? {} : { identifier: String(identifier) }, status, type: 'DEFAULT', stream };
}

export const IP_A = '172.16.0.2/24';
export const IP_B = '172.16.0.3/24';

/** Brings a conduit from its first Open to connected: no recovery, proxy answers `src`. */
export function connect(d: Driver, src: string[] = [IP_A], conduit = 'load-balancer-a1'): Connection {
  const monitor = d.pending('monitorConnections', (e) => e.scope.conduit === conduit);
  d.send({ kind: 'nsmEvent', op: monitor.op, event: { type: 'INITIAL_STATE_TRANSFER', connections: {} } });
  const request = d.pending('nsmRequest', (e) => e.scope.conduit === conduit);
  const connection = answered(request.request, src);
  d.send({ kind: 'nsmConnection', op: request.op, connection });
  return connection;
}

export function pushStreams(d: Driver, streams: NspStream[], conduit = 'load-balancer-a1'): void {
  const watch = d.pending('watchStreams', (e) => e.scope.conduit === conduit);
  d.send({ kind: 'nspStreams', op: watch.op, streams });
}

export function pushFlows(d: Driver, flows: NspFlow[], conduit = 'load-balancer-a1'): void {
  const watch = d.pending('watchFlows', (e) => e.scope.conduit === conduit);
  d.send({ kind: 'nspFlows', op: watch.op, flows });
}

/** Answers the stream's pending getTargets. */
export function targets(d: Driver, list: NspTarget[], stream = 'stream-a1'): void {
  const call = d.pending('getTargets', (e) => e.scope.stream === stream);
  d.send({ kind: 'nspTargets', op: call.op, targets: list });
}

/** Runs the acquisition protocol with an empty NSP: lookup, register DISABLED, verify, enable. */
export function acquire(d: Driver, stream = 'stream-a1'): number {
  targets(d, [], stream);
  const reg = d.pending('register', (e) => e.scope.stream === stream);
  d.done(reg.op);
  targets(d, [], stream);
  const enable = d.pending('register', (e) => e.scope.stream === stream);
  d.done(enable.op);
  return Number(enable.target.context['identifier']);
}

/** A stream opened, connected and ENABLED. */
export function openStream(d: Driver, stream = 'stream-a1'): number {
  d.open(tapStream(stream));
  connect(d);
  pushStreams(d, [nspStream(stream)]);
  return acquire(d, stream);
}
