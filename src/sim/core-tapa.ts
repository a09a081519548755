import {
  divergences, initialState, invariants, mayHold, step,
  type CallError, type TapaEffect, type TapaEvent, type TapaState, type WorldView,
} from '../core/index.js';
import type { NspTarget, StreamStatus, TapStream } from '../core/wire.js';
import type { Environment } from './environment.js';
import type { Model, TapaSpec, TapaUnderTest } from './model.js';
import { NAMESPACE } from './scenario.js';
import type { Outcome, Subscription } from './ports.js';

/**
 * Makes a core misbehave, to prove that the checkers notice: each effect is kept,
 * replaced, dropped, or answered at once with success without reaching the world.
 * A factory, so every TAPA instance gets its own memory.
 */
export type Breakage = () => (effect: TapaEffect, event: TapaEvent, state: TapaState) => TapaEffect | 'drop' | 'succeed';

/** The core, run by the simulator: its effects become tasks on the shared environment. */
export class CoreTapa implements TapaUnderTest {
  readonly name: string;
  readonly state: TapaState;
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly timers = new Map<number, number>();
  private readonly watchers = new Map<number, (statuses: readonly StreamStatus[]) => void>();

  private readonly tamper: ReturnType<Breakage> | undefined;

  constructor(
    private readonly env: Environment,
    private readonly spec: TapaSpec,
    breakage?: Breakage,
    /** NSM's answers carry tokens that expire this long after them (absent: no expiry, no refresh). */
    private readonly tokenLifetimeMs?: number,
  ) {
    this.name = spec.name;
    this.tamper = breakage?.();
    this.state = initialState(spec.seed, { name: spec.name, node: spec.node, namespace: NAMESPACE });
  }

  open(request: number, stream: TapStream): void {
    this.env.scheduler.spawn(this.name, `Tap.Open ${describe(stream)} #${request}`, () => this.deliver({ kind: 'tapOpen', request, stream }));
  }

  close(request: number, stream: TapStream): void {
    this.env.scheduler.spawn(this.name, `Tap.Close ${describe(stream)} #${request}`, () => this.deliver({ kind: 'tapClose', request, stream }));
  }

  watch(watcher: number, filter: TapStream | undefined, message: (statuses: readonly StreamStatus[]) => void): void {
    this.watchers.set(watcher, message);
    this.env.scheduler.spawn(this.name, `Tap.Watch ${filter ? describe(filter) : '(all)'} #${watcher}`, () => this.deliver({ kind: 'tapWatch', watcher, filter }));
  }

  invariants(): string[] {
    return invariants(this.state);
  }

  divergences(view: WorldView): string[] {
    return divergences(this.state, view);
  }

  holds(target: NspTarget): boolean {
    return mayHold(this.state, target);
  }

  private deliver(event: TapaEvent): void {
    for (const effect of step(this.state, event).effects) {
      const changed = this.tamper ? this.tamper(effect, event, this.state) : effect;
      if (changed === 'succeed' && 'op' in effect) this.deliver({ kind: 'done', op: effect.op });
      else if (changed !== 'drop' && changed !== 'succeed') this.execute(changed);
    }
  }

  private execute(effect: TapaEffect): void {
    const { env, name } = this;
    const result = (op: number) => (o: Outcome<unknown>): void =>
      this.deliver(o.ok ? { kind: 'done', op } : { kind: 'failed', op, error: o.error });
    switch (effect.kind) {
      case 'reply':
        return effect.error ? this.spec.reply(effect.request, effect.error) : this.spec.reply(effect.request);
      case 'register':
        return env.register(name, `${name} register ${target(effect.target)} #${effect.op}`, effect.target, result(effect.op));
      case 'unregister':
        return env.unregister(name, `${name} unregister ${target(effect.target)} #${effect.op}`, effect.target, result(effect.op));
      case 'getTargets':
        return env.targets(name, `${name} targets ${effect.scope.stream} #${effect.op}`, effect.filter, (o) =>
          this.deliver(o.ok ? { kind: 'nspTargets', op: effect.op, targets: o.value } : { kind: 'failed', op: effect.op, error: o.error }),
        );
      case 'watchStreams':
        return this.track(effect.op, env.watchStreams(name, `${name} WatchStream ${effect.scope.conduit} #${effect.op}`, effect.scope.trench, effect.scope.conduit ?? '',
          (streams) => this.deliver({ kind: 'nspStreams', op: effect.op, streams }), (error) => this.ended(effect.op, error)));
      case 'watchFlows':
        return this.track(effect.op, env.watchFlows(name, `${name} WatchFlow ${effect.scope.conduit} #${effect.op}`, effect.scope.trench, effect.scope.conduit ?? '',
          (flows) => this.deliver({ kind: 'nspFlows', op: effect.op, flows }), (error) => this.ended(effect.op, error)));
      case 'monitorConnections':
        return this.track(effect.op, env.monitor(name, `${name} MonitorConnections ${effect.scope.conduit} #${effect.op}`, effect.selector,
          (event) => this.deliver({ kind: 'nsmEvent', op: effect.op, event }), (error) => this.ended(effect.op, error)));
      case 'nsmRequest':
        return env.request(name, `${name} NSM Request ${effect.scope.conduit} #${effect.op}`, effect.request, (o) =>
          this.deliver(o.ok ? { kind: 'nsmConnection', op: effect.op, connection: o.value, ...this.expiry() } : { kind: 'failed', op: effect.op, error: o.error }),
        );
      case 'nsmClose':
        return env.close(name, `${name} NSM Close ${effect.scope.conduit} #${effect.op}`, effect.connection, result(effect.op));
      case 'cancel':
        this.subscriptions.get(effect.op)?.cancel();
        this.subscriptions.delete(effect.op);
        return;
      case 'setTimer': {
        const id = effect.timer;
        this.timers.set(id, env.scheduler.after(effect.afterMs, name, `${name} timer ${id}`, () => {
          this.timers.delete(id);
          this.deliver({ kind: 'timer', timer: id });
        }));
        return;
      }
      case 'cancelTimer': {
        const task = this.timers.get(effect.timer);
        if (task !== undefined) env.scheduler.cancel(task);
        this.timers.delete(effect.timer);
        return;
      }
      case 'publish':
        return this.watchers.get(effect.watcher)?.(effect.statuses);
      case 'releaseTrench':
      case 'shutdownComplete':
        return;
    }
  }

  /** What the shell would measure: the answer's tokens were just issued. */
  private expiry(): { expiresInMs?: number } {
    return this.tokenLifetimeMs === undefined ? {} : { expiresInMs: this.tokenLifetimeMs };
  }

  private track(op: number, sub: Subscription): void {
    this.subscriptions.set(op, sub);
  }

  private ended(op: number, error: CallError): void {
    this.subscriptions.delete(op);
    this.deliver({ kind: 'failed', op, error });
  }
}

function describe(s: TapStream): string {
  return `${s.conduit?.trench?.name}/${s.conduit?.name}/${s.name}`;
}

function target(t: NspTarget): string {
  return `${t.stream?.name} ${t.ips.join(',')} id=${t.context['identifier']} ${t.status}`;
}

export function coreModel(breakage?: Breakage, name = 'core', tokenLifetimeMs?: number): Model {
  return { name, create: (env, spec) => new CoreTapa(env, spec, breakage, tokenLifetimeMs) };
}
