import {
  initialState,
  invariants,
  type CallEffect,
  type CallError,
  type CoreConfig,
  type Scope,
  type TapaEffect,
  type TapaEvent,
  type TapaState,
  type TargetCall,
} from '../core/index.js';
import type { Connection, StreamStatus, TapStream } from '../core/wire.js';
import { Agenda } from './agenda.js';
import { coreOf, type Core, type CoreFault } from './core-fault.js';
import { Gate } from './gate.js';
import { expiresInMs, restored, signed, withOwnSegment } from './nsm-path.js';
import { Recorder } from './recorder.js';
import type { Recording } from './recording.js';
import type { Cancellable, Headers, Outcome, StreamRpcs, Transport } from './transport.js';

export interface Logger {
  isLevelEnabled(level: 'debug'): boolean;
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The answer to a Tap.Open or Tap.Close; no error means OK. */
export type Reply = (error?: CallError) => void;
/** A Tap.Watch subscriber's next snapshot. */
export type Publish = (statuses: readonly StreamStatus[]) => void;

/**
 * How often the core's invariants are checked: after every event (the simulator's
 * checkers, tests), after a number of events that grows with the state so that the
 * cost per event stays constant (production), or never.
 */
export type Assertions = 'step' | 'amortized' | 'off';

export interface RunnerOptions {
  /** Seeds the core's identifier draws. */
  readonly seed: number;
  readonly config: Partial<CoreConfig>;
  /** Target-protocol calls in flight to one NSP; the others wait their turn (see Gate). */
  readonly nspCallsInFlight: number;
  /** Names a new segment on an NSM path. */
  readonly newSegmentId: () => string;
  readonly log?: Logger;
  readonly assertions?: Assertions;
  /** Told when a check first finds broken invariants, with the event handled last; checks stop then. */
  readonly broken?: (violations: readonly string[], event: TapaEvent) => void;
  /** The flight recorder keeps about this many of the last events (see Recorder); absent or 0: no recorder. */
  readonly recordEvents?: number;
  /** Tests only: run a deliberately broken core. */
  readonly fault?: CoreFault;
  /**
   * Start from this state rather than a fresh one (the simulator's hunts from a flight
   * recording); `resume` then picks up what it waits for.
   */
  readonly restored?: TapaState;
}

/** A Tap caller waiting for the core: a reply to give once, or a Watch to keep feeding. */
export type Caller = { readonly kind: 'reply'; readonly reply: Reply } | { readonly kind: 'watch'; readonly publish: Publish };

interface InFlight {
  handle: Cancellable;
  /** A gated call that started: tells its gate what its end says about the NSP's load (once). */
  judge?: (error?: CallError) => void;
  readonly scope: Scope;
  readonly rpc: CallEffect['kind'];
  /** For the message of a DEADLINE_EXCEEDED. */
  readonly deadlineMs: number | undefined;
}

const NOTHING: Cancellable = { cancel: () => {} };

/**
 * Order at the gate, first to last: keeping an ENABLED target (its traffic stops if it
 * expires), withdrawing one, then acquiring, the furthest along first, so that under
 * load acquisitions complete one by one at the rate the NSP sustains rather than all
 * progressing together until their deadlines pass.
 */
const PRIORITY: Readonly<Record<TargetCall, number>> = {
  confirm: 0,
  refresh: 0,
  unregister: 1,
  enable: 2,
  verify: 3,
  register: 4,
  lookup: 5,
};
const SILENT: Logger = { isLevelEnabled: () => false, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

type NsmEffect = Extract<TapaEffect, { kind: 'nsmRequest' | 'nsmClose' }>;

/**
 * Everything between the core and the world, the same in production and in the
 * simulator: the event queue in front of `step`, timers and call deadlines on the
 * transport's clock, calls in flight by op, the NSP call gate, NSM path tokens, routing
 * of replies and Watch snapshots to Tap callers, and shutdown. The world is reached only
 * through a Transport.
 *
 * Events are handled one at a time in arrival order; one that arrives while another is
 * handled (a call that fails at once) waits in the queue, so `step` is never re-entered.
 */
export class Runner {
  readonly state: TapaState;
  protected readonly agenda = new Agenda();
  /** The wake-up asked of the transport, if any. */
  protected armed: number | undefined;
  /** Tap callers by the number the core knows them by. */
  protected readonly callers = new Map<number, Caller>();
  private nextCaller = 0;
  private readonly queue: TapaEvent[] = [];
  private draining = false;
  private waking = false;
  private readonly calls = new Map<number, InFlight>();
  private readonly gates = new Map<string, Gate>();
  private readonly stopped: (() => void)[] = [];
  private sinceCheck = 0;
  private handled = 0;
  private reported = false;
  private readonly log: Logger;
  private readonly core: Core;
  private readonly recorder: Recorder | undefined;
  private readonly wakeUp = (): void => this.wake();

  constructor(
    protected readonly transport: Transport,
    private readonly options: RunnerOptions,
  ) {
    this.state = options.restored ?? initialState(options.seed, options.config);
    // A restored state's Watch subscribers keep their numbers: new callers come after them.
    this.nextCaller = Math.max(0, ...this.state.watchers.keys());
    this.log = options.log ?? SILENT;
    this.core = coreOf(options.fault);
    const events = options.recordEvents ?? 0;
    this.recorder = events > 0 ? new Recorder(events, this.core, options.fault, this.state, transport.now()) : undefined;
  }

  /** Tap.Open. The core answers every Tap call in the step that receives it, so `reply` is called before this returns. */
  open(stream: TapStream | undefined, reply: Reply): void {
    this.ask('tapOpen', stream, reply);
  }

  /** Tap.Close, answered like Tap.Open. */
  close(stream: TapStream | undefined, reply: Reply): void {
    this.ask('tapClose', stream, reply);
  }

  /** Tap.Watch; returns how to unsubscribe (idempotent). */
  watch(filter: TapStream | undefined, publish: Publish): () => void {
    const watcher = this.enroll({ kind: 'watch', publish }, 'watcher');
    this.dispatch({ kind: 'tapWatch', watcher, filter });
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.callers.delete(watcher);
      this.dispatch({ kind: 'tapUnwatch', watcher });
    };
  }

  /** Unregisters every target and closes every NSM connection; `done` when all is over. */
  shutdown(done: () => void): void {
    if (this.state.shutdown === 'done') return done();
    this.stopped.push(done);
    this.dispatch({ kind: 'shutdown' });
  }

  /**
   * Picks up a restored state: makes again the calls it waits for and sets again its
   * timers, each effect as the core asked for it with the event that asked (a timer's
   * `afterMs`: what was left of it); the calls in `lost`, whose effects are not known,
   * fail as calls cut off do.
   */
  resume(effects: readonly { readonly effect: TapaEffect; readonly cause: TapaEvent }[], lost: readonly number[]): void {
    for (const { effect, cause } of effects) this.execute(effect, cause);
    for (const op of lost)
      this.dispatch({ kind: 'failed', op, error: { code: 'UNAVAILABLE', message: 'the call was cut off by the restart' } });
    this.rearm();
  }

  /** The transport's wake-up: fires every timer and deadline that is due. */
  wake(): void {
    this.armed = undefined;
    const now = this.transport.now();
    this.waking = true;
    try {
      for (let due = this.agenda.take(now); due; due = this.agenda.take(now)) {
        if (due.kind === 'timer') this.dispatch({ kind: 'timer', timer: due.id });
        else this.expire(due.id);
      }
    } finally {
      this.waking = false;
      this.rearm();
    }
  }

  /** Stops every call, timer and wake-up: the process is going away. */
  dispose(): void {
    for (const call of this.calls.values()) call.handle.cancel();
    this.calls.clear();
    this.agenda.clear();
    this.armed = undefined;
    this.transport.wakeAt(undefined, this.wakeUp);
  }

  /** Events handled so far. */
  get events(): number {
    return this.handled;
  }

  /**
   * What the runner holds for the core: the ops of its calls (waiting at a gate, being
   * signed or running) and the timers set. They must be what the core waits for.
   */
  books(): { readonly calls: number[]; readonly timers: number[] } {
    return { calls: [...this.calls.keys()], timers: [...this.agenda.ids('timer')] };
  }

  /** The flight recorder's events, without secrets; undefined when it is off. `why`: what the recording is for. */
  recording(why: string): Recording | undefined {
    return this.recorder?.recording(why, this.transport.now());
  }

  private ask(kind: 'tapOpen' | 'tapClose', stream: TapStream | undefined, reply: Reply): void {
    const request = this.enroll({ kind: 'reply', reply }, 'request');
    this.dispatch({ kind, request, stream });
  }

  /** Tap calls and Watch subscribers share one numbering, so that one table routes both. */
  protected enroll(caller: Caller, _as: 'request' | 'watcher'): number {
    const id = ++this.nextCaller;
    this.callers.set(id, caller);
    return id;
  }

  /** Asks the transport to wake us when the earliest timer or deadline is due. */
  protected rearm(): void {
    const next = this.agenda.next();
    if (next === this.armed) return;
    this.armed = next;
    this.transport.wakeAt(next, this.wakeUp);
  }

  /** At most `limit` target-protocol calls in flight to one NSP; `now`, the transport's clock. */
  protected newGate(limit: number, now: () => number): Gate {
    return new Gate(limit, now);
  }

  protected dispatch(event: TapaEvent): void {
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    let next = 0;
    try {
      // A read index, not shift(): a burst of thousands of events would be copied each time.
      for (; next < this.queue.length; next++) {
        const now = this.transport.now();
        const current = this.queue[next]!;
        const effects = this.recorder ? this.recorder.step(this.core, this.state, current, now) : this.core(this.state, current);
        this.handled++;
        this.check(current);
        for (const effect of effects) this.execute(effect, current);
      }
    } finally {
      // Should the core throw, the event it threw on is dropped and the rest wait for the next dispatch.
      this.queue.splice(0, next + 1);
      this.draining = false;
      if (!this.waking) this.rearm();
    }
  }

  private check(event: TapaEvent): void {
    const mode = this.options.assertions ?? 'off';
    if (mode === 'off' || this.reported) return;
    if (mode === 'amortized') {
      // A full check costs about the size of the state; checking once per that many events
      // keeps the cost per event constant at any size.
      const size = this.state.pending.size + this.state.timers.size + this.state.registry.size;
      if (++this.sinceCheck <= size) return;
      this.sinceCheck = 0;
    }
    const broken = invariants(this.state);
    if (broken.length === 0) return;
    // Once is enough: the state stays broken, and a report per event would flood the log.
    this.reported = true;
    this.options.broken?.(broken, event);
  }

  /** `cause`: the event whose step asked for the effect. */
  protected execute(effect: TapaEffect, _cause: TapaEvent): void {
    switch (effect.kind) {
      case 'reply': {
        const caller = this.callers.get(effect.request);
        if (caller?.kind !== 'reply') return;
        this.callers.delete(effect.request);
        return caller.reply(effect.error);
      }
      case 'publish': {
        const caller = this.callers.get(effect.watcher);
        return caller?.kind === 'watch' ? caller.publish(effect.statuses) : undefined;
      }
      case 'register':
      case 'unregister': {
        const { op, kind, scope, target } = effect;
        return this.gated(effect, (deadline, finished) =>
          this.transport.unary(kind, scope, target, { op, deadline }, (outcome) => {
            finished(outcome.ok ? undefined : outcome.error);
            this.answered(op, outcome, () => ({ kind: 'done', op }));
          }),
        );
      }
      case 'getTargets': {
        // Meridio's get-targets: the first message of a Watch, then the watch is dropped.
        const { op, scope, filter } = effect;
        return this.gated(effect, (deadline, finished) =>
          this.transport.stream(
            'getTargets',
            scope,
            filter,
            { op, deadline },
            (targets) => {
              const call = this.settle(op);
              if (!call) return;
              call.judge?.();
              call.handle.cancel();
              this.dispatch({ kind: 'nspTargets', op, targets });
            },
            (error) => {
              const cause = error ?? { code: 'UNAVAILABLE', message: 'the target watch ended before its first message' };
              finished(cause);
              this.ended(op, cause);
            },
          ),
        );
      }
      case 'watchStreams':
        return this.follow(effect, effect.filter, (streams) => ({ kind: 'nspStreams', op: effect.op, streams }));
      case 'watchFlows':
        return this.follow(effect, effect.filter, (flows) => ({ kind: 'nspFlows', op: effect.op, flows }));
      case 'monitorConnections':
        return this.follow(effect, effect.selector, (event) => ({ kind: 'nsmEvent', op: effect.op, event }));
      case 'nsmRequest': {
        const { op, scope, request } = effect;
        return this.signedCall(effect, request.connection, (connection, index, headers, deadline) =>
          this.transport.unary('nsmRequest', scope, { ...request, connection }, { op, deadline, headers }, (outcome) =>
            this.answered(op, outcome, (answer) => this.connected(op, answer, index)),
          ),
        );
      }
      case 'nsmClose': {
        const { op, scope } = effect;
        return this.signedCall(effect, effect.connection, (connection, _index, headers, deadline) =>
          this.transport.unary('nsmClose', scope, connection, { op, deadline, headers }, (outcome) =>
            this.answered(op, outcome, () => ({ kind: 'done', op })),
          ),
        );
      }
      case 'cancel':
        this.settle(effect.op)?.handle.cancel();
        return;
      case 'setTimer':
        return this.agenda.add('timer', effect.timer, this.transport.now() + effect.afterMs);
      case 'cancelTimer':
        this.agenda.remove('timer', effect.timer);
        return;
      case 'releaseTrench': {
        if (this.gates.get(effect.trench)?.idle) this.gates.delete(effect.trench);
        return this.transport.release(effect.trench);
      }
      case 'shutdownComplete':
        if (effect.abandoned) {
          this.log.warn(effect.abandoned, 'shutdown ran out of time: targets left to the NSP to expire, NSM connections to NSM to expire');
        }
        for (const done of this.stopped.splice(0)) done();
        return;
    }
  }

  /**
   * A short NSP call of the target protocol, started when its trench's gate lets it, by
   * the priority of its step. Its deadline runs from now, not from when it starts: the
   * core's timing assumes so. How long it took once started, and how it ended, adapt the
   * gate's limit; one that could no longer be answered in time is failed unsent.
   */
  private gated(
    effect: Extract<TapaEffect, { kind: 'register' | 'unregister' | 'getTargets' }>,
    start: (deadline: number, finished: (error?: CallError) => void) => Cancellable,
  ): void {
    const call = this.begin(effect.op, effect.scope, effect.kind, effect.deadlineMs);
    const deadline = this.transport.now() + effect.deadlineMs;
    let gate = this.gates.get(effect.scope.trench);
    if (!gate) {
      gate = this.newGate(this.options.nspCallsInFlight, () => this.transport.now());
      this.gates.set(effect.scope.trench, gate);
    }
    call.handle = gate.enter(
      (release, answered) => {
        call.judge = answered;
        return start(deadline, (error) => {
          answered(error);
          release();
        });
      },
      { priority: PRIORITY[effect.step], deadline: { ms: effect.deadlineMs, tooLate: (message) => this.expire(effect.op, message) } },
    );
  }

  /** A watch: every message becomes an event, until its end or a cancel. */
  private follow<K extends 'watchStreams' | 'watchFlows' | 'monitorConnections'>(
    effect: { readonly kind: K; readonly op: number; readonly scope: Scope },
    request: StreamRpcs[K]['request'],
    event: (message: StreamRpcs[K]['message']) => TapaEvent,
  ): void {
    const { op, scope } = effect;
    this.begin(op, scope, effect.kind, undefined).handle = this.transport.stream(
      effect.kind,
      scope,
      request,
      { op },
      (message) => this.dispatch(event(message)),
      (error) => this.ended(op, error),
    );
  }

  /**
   * Puts our segment on the connection's path and, where NSM calls carry tokens, signs
   * it; the same token also goes in the call's headers, where newer NSMgrs read it.
   * Signing takes a while, and the call may be cancelled or time out meanwhile: what was
   * signed is then not sent.
   */
  private signedCall(
    effect: NsmEffect,
    connection: Connection | undefined,
    send: (connection: Connection, index: number, headers: Headers, deadline: number) => Cancellable,
  ): void {
    const { op } = effect;
    const call = this.begin(op, effect.scope, effect.kind, effect.deadlineMs);
    const deadline = this.transport.now() + effect.deadlineMs;
    let placed: { connection: Connection; index: number };
    try {
      if (!connection) throw new Error('the request carries no connection');
      placed = withOwnSegment(connection, this.state.config.name, this.options.newSegmentId);
    } catch (err) {
      return this.refuse(op, (err as Error).message);
    }
    call.handle = this.transport.token(op, (outcome) => {
      if (this.calls.get(op) !== call) return;
      if (!outcome.ok) return this.refuse(op, `cannot sign the NSM token: ${outcome.error.message}`);
      const token = outcome.value;
      const headers: Headers = token ? { 'nsm-client-token': token.token, 'nsm-client-token-expires': token.expires.toISOString() } : {};
      call.handle = send(token ? signed(placed.connection, token) : placed.connection, placed.index, headers, deadline);
    });
  }

  private refuse(op: number, message: string): void {
    const call = this.settle(op);
    if (!call) return;
    this.warn(call, op, { code: 'UNAUTHENTICATED', message }, 'cannot prepare the NSM call');
    this.dispatch({ kind: 'failed', op, error: { code: 'UNAUTHENTICATED', message } });
  }

  /** NSM's answer as our caller sees it, with how long its tokens last. */
  private connected(op: number, answer: Connection, index: number): TapaEvent {
    const connection = restored(answer, index);
    const expires = expiresInMs(connection, this.transport.now());
    return expires === undefined
      ? { kind: 'nsmConnection', op, connection }
      : { kind: 'nsmConnection', op, connection, expiresInMs: expires };
  }

  private begin(op: number, scope: Scope, rpc: CallEffect['kind'], deadlineMs: number | undefined): InFlight {
    const call: InFlight = { handle: NOTHING, scope, rpc, deadlineMs };
    this.calls.set(op, call);
    if (deadlineMs !== undefined) this.agenda.add('deadline', op, this.transport.now() + deadlineMs);
    // Asked at each call, not once: SIGUSR2 turns debug lines on while the sidecar runs.
    if (this.log.isLevelEnabled('debug')) this.log.debug({ ...scope, effect: rpc, op }, rpc);
    return call;
  }

  private answered<T>(op: number, outcome: Outcome<T>, ok: (value: T) => TapaEvent): void {
    const call = this.settle(op);
    if (!call) return;
    if (outcome.ok) return this.dispatch(ok(outcome.value));
    this.warn(call, op, outcome.error, `${call.rpc} failed`);
    this.dispatch({ kind: 'failed', op, error: outcome.error });
  }

  private ended(op: number, error: CallError | undefined): void {
    const call = this.settle(op);
    if (!call) return;
    if (error) this.warn(call, op, error, `${call.rpc} ended`);
    this.dispatch(error ? { kind: 'failed', op, error } : { kind: 'failed', op });
  }

  /** `why`: the call was not sent because its deadline would pass first (see Gate), rather than it passed. */
  private expire(op: number, why?: string): void {
    const call = this.settle(op);
    if (!call) return;
    const error: CallError = { code: 'DEADLINE_EXCEEDED', message: `${call.rpc}: ${why ?? `no answer within ${call.deadlineMs} ms`}` };
    call.judge?.(error);
    call.handle.cancel();
    this.warn(call, op, error, `${call.rpc} failed`);
    this.dispatch({ kind: 'failed', op, error });
  }

  /** A call that failed, in the log; the fields are built only when there is a log to write them to. */
  private warn(call: InFlight, op: number, error: CallError, message: string): void {
    if (this.log !== SILENT) this.log.warn({ ...call.scope, op, code: error.code, error: error.message }, message);
  }

  /** The call is over (answered, ended, expired or cancelled): forget it, and say what it was. */
  private settle(op: number): InFlight | undefined {
    const call = this.calls.get(op);
    if (!call) return undefined;
    this.calls.delete(op);
    if (call.deadlineMs !== undefined) this.agenda.remove('deadline', op);
    return call;
  }
}
