import type { CallError, Scope } from '../../core/index.js';
import type { Connection, MonitorScopeSelector, NetworkServiceRequest, NspTarget } from '../../core/wire.js';
import type { Cancellable, CallOptions, Outcome, PathToken, StreamRpcs, Transport, UnaryRpcs } from '../../runner/transport.js';
import type { Environment } from './environment.js';

/**
 * The runner's transport in the simulator: calls go to the shared world models through
 * the environment's ports, time is the scheduler's, and a wake-up is a timer task of the
 * TAPA's actor. Every step of the runner's own work that waits in real life (a call, a
 * token being signed, a timer) is a task, so hunts interleave it with everything else.
 */
export class SimTransport implements Transport {
  private wakeTask: number | undefined;
  private signed = 0;

  constructor(
    private readonly env: Environment,
    /** The TAPA's actor. */
    private readonly name: string,
    /** NSM tokens expire this long after they are signed; absent: NSM calls carry no tokens. */
    private readonly tokenLifetimeMs: number | undefined,
  ) {}

  now(): number {
    return this.env.scheduler.now;
  }

  wakeAt(at: number | undefined, wake: () => void): void {
    const { scheduler } = this.env;
    if (this.wakeTask !== undefined) scheduler.cancel(this.wakeTask);
    this.wakeTask = undefined;
    if (at === undefined) return;
    this.wakeTask = scheduler.at(Math.max(at, scheduler.now), this.name, `${this.name} wake`, () => {
      this.wakeTask = undefined;
      wake();
    });
  }

  unary<K extends keyof UnaryRpcs>(
    rpc: K,
    scope: Scope,
    request: UnaryRpcs[K]['request'],
    options: CallOptions,
    done: (o: Outcome<UnaryRpcs[K]['response']>) => void,
  ): Cancellable {
    const { env, name } = this;
    const answer = live(done);
    const op = options.op;
    switch (rpc) {
      case 'register': {
        const target = request as NspTarget;
        env.register(name, `${name} register ${describe(target)} #${op}`, target, answer);
        break;
      }
      case 'unregister': {
        const target = request as NspTarget;
        env.unregister(name, `${name} unregister ${describe(target)} #${op}`, target, answer);
        break;
      }
      case 'nsmRequest':
        env.request(name, `${name} NSM Request ${scope.conduit} #${op}`, request as NetworkServiceRequest, answer);
        break;
      case 'nsmClose':
        env.close(name, `${name} NSM Close ${scope.conduit} #${op}`, request as Connection, answer);
        break;
    }
    return answer;
  }

  stream<K extends keyof StreamRpcs>(
    rpc: K,
    scope: Scope,
    request: StreamRpcs[K]['request'],
    options: CallOptions,
    message: (value: StreamRpcs[K]['message']) => void,
    end: (error?: CallError) => void,
  ): Cancellable {
    const { env, name } = this;
    const { op } = options;
    const push = message as (value: unknown) => void;
    const conduit = scope.conduit ?? '';
    switch (rpc) {
      case 'getTargets': {
        // The model answers a target watch with its first message only; the runner wants no more.
        const answer = live((o: Outcome<NspTarget[]>) => (o.ok ? push(o.value) : end(o.error)));
        env.targets(name, `${name} targets ${scope.stream} #${op}`, request as NspTarget, answer);
        return answer;
      }
      case 'watchStreams':
        return env.watchStreams(name, `${name} WatchStream ${conduit} #${op}`, scope.trench, conduit, push, end);
      case 'watchFlows':
        return env.watchFlows(name, `${name} WatchFlow ${conduit} #${op}`, scope.trench, conduit, push, end);
      default:
        return env.monitor(name, `${name} MonitorConnections ${conduit} #${op}`, request as MonitorScopeSelector, push, end);
    }
  }

  token(op: number, done: (outcome: Outcome<PathToken | undefined>) => void): Cancellable {
    const { scheduler } = this.env;
    const lifetime = this.tokenLifetimeMs;
    const serial = ++this.signed;
    const task = scheduler.spawn(this.name, `${this.name} sign #${op}`, () =>
      done({
        ok: true,
        value: lifetime === undefined ? undefined : { token: `${this.name}-token-${serial}`, expires: new Date(scheduler.now + lifetime) },
      }),
    );
    return { cancel: () => void scheduler.cancel(task) };
  }

  release(): void {}
}

/** A callback that can be silenced: what a cancelled call must do with its answer. */
function live<T>(done: (outcome: T) => void): ((outcome: T) => void) & Cancellable {
  let wanted = true;
  return Object.assign((outcome: T) => void (wanted && done(outcome)), { cancel: () => void (wanted = false) });
}

function describe(t: NspTarget): string {
  return `${t.stream?.name} ${t.ips.join(',')} id=${t.context['identifier']} ${t.status}`;
}
