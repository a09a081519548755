import { divergences, invariants, mayHold, type CallError, type TapaState, type WorldView } from '../../core/index.js';
import type { NspTarget, StreamStatus, TapStream } from '../../core/wire.js';
import { Runner, type RunnerOptions } from '../../runner/runner.js';
import type { Transport } from '../../runner/transport.js';
import type { Environment } from '../world/environment.js';
import type { Model, TapaSpec, TapaUnderTest } from '../harness/model.js';
import { NAMESPACE } from '../harness/scenario.js';
import { SimTransport } from '../world/transport.js';

/** Builds the runner of one TAPA; broken runners and cores are subclasses of Runner. */
export type RunnerFactory = (transport: Transport, options: RunnerOptions) => Runner;

/**
 * NSP calls in flight per trench in the simulator: small, so that calls queue behind the
 * gate in ordinary scenarios and hunts explore the gate as much as the core.
 */
const SIM_NSP_CALLS_IN_FLIGHT = 2;

/**
 * The core inside the production runner, on the simulator's transport: the same code the
 * sidecar runs, with the world's models in place of grpc-js and virtual time in place of
 * the wall clock.
 */
export class CoreTapa implements TapaUnderTest {
  readonly name: string;
  private readonly runner: Runner;
  private stopping = false;

  constructor(
    private readonly env: Environment,
    private readonly spec: TapaSpec,
    build: RunnerFactory,
    /** NSM's answers carry tokens that expire this long after they are signed (absent: none). */
    tokenLifetimeMs?: number,
  ) {
    this.name = spec.name;
    let segments = 0;
    this.runner = build(new SimTransport(env, spec.name, tokenLifetimeMs), {
      seed: spec.seed,
      config: { name: spec.name, node: spec.node, namespace: NAMESPACE },
      nspCallsInFlight: SIM_NSP_CALLS_IN_FLIGHT,
      newSegmentId: () => `${spec.name}-segment-${++segments}`,
      // The harness checks the invariants after every step itself.
      assertions: 'off',
      ...(spec.restore ? { restored: spec.restore.state } : {}),
    });
    // At once, not as a task: the recorded core's calls and watches were under way before
    // anything of the run happens, so what the world does next reaches them.
    if (spec.restore) this.runner.resume(spec.restore.resume, spec.restore.lost);
  }

  get state(): TapaState {
    return this.runner.state;
  }

  open(request: number, stream: TapStream): void {
    this.env.scheduler.spawn(this.name, `Tap.Open ${describe(stream)} #${request}`, () => this.runner.open(stream, this.reply(request)));
  }

  close(request: number, stream: TapStream): void {
    this.env.scheduler.spawn(this.name, `Tap.Close ${describe(stream)} #${request}`, () => this.runner.close(stream, this.reply(request)));
  }

  watch(watcher: number, filter: TapStream | undefined, message: (statuses: readonly StreamStatus[]) => void): void {
    this.env.scheduler.spawn(
      this.name,
      `Tap.Watch ${filter ? describe(filter) : '(all)'} #${watcher}`,
      () => void this.runner.watch(filter, message),
    );
  }

  shutdown(done: () => void): void {
    this.stopping = true;
    // The process exits once the runner has given everything back.
    this.env.scheduler.spawn(this.name, 'shutdown', () =>
      this.runner.shutdown(() => {
        this.runner.dispose();
        done();
      }),
    );
  }

  invariants(): string[] {
    return invariants(this.state);
  }

  divergences(view: WorldView): string[] {
    return divergences(this.state, view);
  }

  /**
   * A process going away may leave targets behind whose unregister failed (the NSP
   * expires them, and convergence waits for that): none of them is stale.
   */
  holds(target: NspTarget): boolean {
    return this.stopping || mayHold(this.state, target);
  }

  private reply(request: number): (error?: CallError) => void {
    return (error) => (error ? this.spec.reply(request, error) : this.spec.reply(request));
  }
}

function describe(s: TapStream): string {
  return `${s.conduit?.trench?.name}/${s.conduit?.name}/${s.name}`;
}

const plain: RunnerFactory = (transport, options) => new Runner(transport, options);

export function coreModel(name = 'core', build: RunnerFactory = plain, tokenLifetimeMs?: number): Model {
  return { name, resumes: true, create: (env, spec) => new CoreTapa(env, spec, build, tokenLifetimeMs) };
}
