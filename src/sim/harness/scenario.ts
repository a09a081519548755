import fc from 'fast-check';
import { Draw } from './draw.js';

/**
 * A simulated world and what happens to it: how many TAPAs share one NSP and one NSM,
 * how many conduits and streams the trench has, and timed external steps (Tap calls
 * of the applications, NSP configuration changes, faults).
 *
 * Every field is a plain number, boolean or constant, and steps refer to TAPAs,
 * conduits and streams by number (taken modulo the counts), so that fast-check can
 * shrink any scenario, even one it did not generate, towards fewer and simpler steps.
 */
export interface Scenario {
  readonly tapas: number;
  readonly conduits: number;
  /** Streams per conduit. */
  readonly streams: number;
  /** maxTargets of every stream at the start; small values force identifier contention. */
  readonly maxTargets: number;
  /** The proxy hands out no bridge gateways (the trigger of Meridio #578). */
  readonly faultyProxy: boolean;
  readonly steps: readonly Step[];
  /** How long messages to and from each peer take; absent: every message arrives at once (as traces before it). */
  readonly latency?: Latencies;
}

/**
 * The time one message between a TAPA and a peer takes, in virtual ms: at least `minMs`,
 * plus a uniform draw in [0, spreadMs] (the ordinary case), plus, for `tailPermille` of
 * the messages in 1000, a uniform draw in [0, tailMs] (the slow ones). All zero: none.
 */
export interface LatencyProfile {
  readonly minMs: number;
  readonly spreadMs: number;
  readonly tailPermille: number;
  readonly tailMs: number;
}

export interface Latencies {
  readonly nsp: LatencyProfile;
  readonly nsm: LatencyProfile;
}

export const STEP_KINDS = [
  'open', // TAPA a opens stream c of conduit b
  'close', // TAPA a closes stream c of conduit b
  'openAll', // TAPA a opens every stream of conduits b and b+1 (the #578 reporter's app)
  'closeAll', // TAPA a closes every stream it has open
  'watch', // TAPA a's application calls Tap.Watch: everything (c even) or conduit b only (c odd)
  'vips', // the flows of conduit b change VIPs (set c)
  'streamConfig', // conduit b: stream c leaves or re-enters the NSP config, or its maxTargets changes
  'heal', // NSM gives TAPA a new local IPs on conduit b
  'down', // NSM reports TAPA a's connection on conduit b DOWN
  'drop', // NSM drops TAPA a's connection on conduit b
  'loseAddresses', // NSM's answer for TAPA a on conduit b carries no local IPs
  'nspRestart', // the NSP restarts, reloading its registry (c even) or wiping it (c odd)
  'nspOutage', // every NSP call fails for 1 + c seconds
  'nsmErrors', // NSM Request (c even) or Close (c odd) fails for 1 + c seconds
  'shutdown', // TAPA a's process is told to stop (SIGTERM; Tap.Delete in Go); its application makes no more calls
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface Step {
  /** Virtual ms from the start (inside a window: from the window's start). */
  readonly at: number;
  readonly kind: StepKind;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  /**
   * Steps drawn into this one's fault window, their `at` counted from its start: a bug
   * that needs several events during one fault keeps them together while fast-check
   * moves or shrinks the window.
   */
  readonly inside?: readonly Step[];
}

/** Fault windows last at most this long. */
export const MAX_WINDOW_MS = 10_000;

const WINDOW_KINDS: readonly StepKind[] = ['nspOutage', 'nsmErrors'];

export function windowMs(step: Step): number {
  return WINDOW_KINDS.includes(step.kind) ? Math.min(MAX_WINDOW_MS, 1_000 * (1 + step.c)) : 0;
}

/** When the last step and the last fault window are over; convergence is judged after it. */
export function quietAt(scenario: Scenario): number {
  return timeline(scenario).reduce((t, s) => Math.max(t, s.at + windowMs(s)), 0);
}

export interface ScenarioOptions {
  readonly maxTapas?: number;
  readonly maxConduits?: number;
  readonly maxStreams?: number;
  /** Steps in all, those inside windows included. */
  readonly maxSteps?: number;
  /** Only application steps, no faults. */
  readonly faults?: boolean;
  /** Only these kinds of steps (overrides `faults`). */
  readonly kinds?: readonly StepKind[];
  /** Steps happen within this many virtual ms. */
  readonly horizonMs?: number;
  /**
   * Swarm testing (on unless false): each run enables about half of the kinds, with
   * weights of its own and a horizon of its own, and draws steps into its fault windows,
   * so that some runs pile many events of few kinds into one fault. Off: every kind in
   * every run at fixed weights, and no step inside a window.
   */
  readonly swarm?: boolean;
  /** Messages take time, per peer, from a profile drawn per run (on unless false). */
  readonly latency?: boolean;
}

export const APP_STEPS: readonly StepKind[] = ['open', 'close', 'openAll', 'closeAll', 'watch', 'shutdown'];

/** Steps a window holds at most. */
const MAX_INSIDE = 6;

const DEFAULT_HORIZON_MS = 120_000;
/** A step without steps inside it. */
const plainStepArb = (kind: fc.Arbitrary<StepKind>, maxAt: number): fc.Arbitrary<Step> =>
  fc.record({ at: fc.integer({ min: 0, max: maxAt }), kind, a: fc.nat(9), b: fc.nat(9), c: fc.nat(9) });

/** The bounds of every latency profile the generator draws; shrinking heads for all zeros. */
const profileArb: fc.Arbitrary<LatencyProfile> = fc.record({
  minMs: fc.nat(5),
  spreadMs: fc.nat(20),
  tailPermille: fc.nat(1000),
  tailMs: fc.nat(2_000),
});

function kindsOf(options: ScenarioOptions): readonly StepKind[] {
  return options.kinds ?? (options.faults === false ? APP_STEPS : STEP_KINDS);
}

/** Opens are the common case; without them there is nothing to break. */
function baseWeight(kind: StepKind): number {
  return kind === 'open' || kind === 'openAll' ? 4 : 1;
}

/**
 * Every scenario the options allow, whatever made it: what fast-check shrinks with, so
 * it must hold every scenario the generator draws (and the ones written by hand).
 */
function shapeArb(options: ScenarioOptions): fc.Arbitrary<Scenario> {
  const kinds = kindsOf(options);
  const kind = fc.constantFrom(...kinds);
  const inner = plainStepArb(kind, MAX_WINDOW_MS);
  const step = fc.record(
    {
      at: fc.integer({ min: 0, max: options.horizonMs ?? DEFAULT_HORIZON_MS }),
      kind,
      a: fc.nat(9),
      b: fc.nat(9),
      c: fc.nat(9),
      inside: fc.array(inner, { maxLength: MAX_INSIDE }),
    },
    { requiredKeys: ['at', 'kind', 'a', 'b', 'c'] },
  );
  return fc.record(
    {
      ...counts(options),
      steps: fc.array(step, { minLength: 1, maxLength: options.maxSteps ?? 12 }),
      latency: fc.record({ nsp: profileArb, nsm: profileArb }),
    },
    { requiredKeys: ['tapas', 'conduits', 'streams', 'maxTargets', 'faultyProxy', 'steps'] },
  );
}

function counts(options: ScenarioOptions) {
  return {
    tapas: fc.integer({ min: 1, max: options.maxTapas ?? 3 }),
    conduits: fc.integer({ min: 1, max: options.maxConduits ?? 3 }),
    streams: fc.integer({ min: 1, max: options.maxStreams ?? 4 }),
    maxTargets: fc.integer({ min: 1, max: 4 }),
    faultyProxy: fc.boolean(),
  };
}

/**
 * One run's draw of kinds and rates, then its steps, straight from numbers: composing
 * fast-check arbitraries for each run's mix of kinds cost about a tenth of a core hunt.
 */
export function drawScenario(options: ScenarioOptions, draw: Draw): Scenario {
  const kinds = kindsOf(options);
  const maxSteps = options.maxSteps ?? 12;
  const horizon = options.horizonMs ?? DEFAULT_HORIZON_MS;
  const swarm = options.swarm !== false;
  const enabled = swarm ? draw.array(kinds.length, kinds.length, (d) => d.boolean()) : kinds.map(() => true);
  const weights = swarm ? draw.array(kinds.length, kinds.length, (d) => d.int(1, 8)) : kinds.map(() => 1);
  // Some runs squeeze their steps into a sixteenth of the horizon.
  const density = swarm ? draw.int(0, 4) : 0;
  const latency = options.latency === false ? undefined : { nsp: drawProfile(draw), nsm: drawProfile(draw) };
  const on = kinds.filter((k, i) => enabled[i] || (k === 'open' && !kinds.some((o, j) => enabled[j] && (o === 'open' || o === 'openAll'))));
  const weightOf = (k: StepKind): number => weights[kinds.indexOf(k)]!;
  const kindsDrawn = on.length > 0 ? on : kinds;
  const events = on.filter((k) => !WINDOW_KINDS.includes(k));
  const tapas = draw.int(1, options.maxTapas ?? 3);
  const conduits = draw.int(1, options.maxConduits ?? 3);
  const streams = draw.int(1, options.maxStreams ?? 4);
  const maxTargets = draw.int(1, 4);
  const faultyProxy = draw.boolean();
  const drawn = draw.array(1, maxSteps, (d): Step => {
    const s = plainStep(
      d,
      d.pick(kindsDrawn, (k) => weightOf(k) * baseWeight(k)),
      Math.floor(horizon / 2 ** density),
    );
    const window = windowMs(s);
    if (!swarm || window === 0 || events.length === 0) return s;
    const inside = d.array(1, MAX_INSIDE, (w) => plainStep(w, w.pick(events, weightOf), MAX_WINDOW_MS));
    return { ...s, inside: inside.map((w) => ({ ...w, at: w.at % window })) };
  });
  const scenario = { tapas, conduits, streams, maxTargets, faultyProxy, steps: fitSteps(drawn, maxSteps) };
  return latency ? { ...scenario, latency } : scenario;
}

function plainStep(draw: Draw, kind: StepKind, maxAt: number): Step {
  return { at: draw.int(0, maxAt), kind, a: draw.int(0, 9), b: draw.int(0, 9), c: draw.int(0, 9) };
}

/** A typical network: 1 to 6 ms mostly, up to 5 % of messages hundreds of ms late, within profileArb's bounds. */
function drawProfile(draw: Draw): LatencyProfile {
  return { minMs: draw.int(1, 2), spreadMs: draw.int(0, 4), tailPermille: draw.int(0, 50), tailMs: draw.int(0, 800) };
}

/**
 * At most `max` steps in all: steps outside windows go first, from the end (what a
 * window holds is the rarer thing to draw), then steps from the ends of windows.
 */
function fitSteps(steps: readonly Step[], max: number): Step[] {
  const count = (list: readonly Step[]): number => list.reduce((n, s) => n + 1 + (s.inside?.length ?? 0), 0);
  const kept = [...steps];
  for (let i = kept.length - 1; i > 0 && count(kept) > max; i--) if (!kept[i]!.inside) kept.splice(i, 1);
  let spare = max - kept.length;
  return kept.map((s) => {
    if (!s.inside) return s;
    const keep = Math.max(0, Math.min(s.inside.length, spare));
    spare -= keep;
    const { inside, ...bare } = s;
    return keep > 0 ? { ...bare, inside: inside.slice(0, keep) } : bare;
  });
}

/**
 * Draws with `drawScenario` (the swarm), shrinks with `shapeArb`: a drawn scenario is kept
 * without the draw's context, so it shrinks exactly like one read from a trace.
 */
class ScenarioArbitrary extends fc.Arbitrary<Scenario> {
  constructor(
    private readonly options: ScenarioOptions,
    private readonly shape: fc.Arbitrary<Scenario>,
  ) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Scenario> {
    return new fc.Value(drawScenario(this.options, new Draw(mrng, biasFactor)), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is Scenario {
    return this.shape.canShrinkWithoutContext(value);
  }

  shrink(value: Scenario, context: unknown): fc.Stream<fc.Value<Scenario>> {
    return this.shape.shrink(value, context);
  }
}

export function scenarioArb(options: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  return new ScenarioArbitrary(options, shapeArb(options));
}

export const TRENCH = 'trench-a';
export const NAMESPACE = 'default';

export function tapaName(i: number): string {
  return `target-${i + 1}`;
}

export function conduitName(i: number): string {
  return `load-balancer-${String.fromCharCode(97 + i)}1`;
}

export function streamName(conduit: number, i: number): string {
  return `stream-${String.fromCharCode(97 + conduit)}${i + 1}`;
}

/**
 * Scenario steps in the order they happen (stable for equal times), the steps inside a
 * window after it and at their own times.
 */
export function timeline(scenario: Scenario): Step[] {
  // Array.prototype.sort is stable: equal times keep the order of the steps.
  return scenario.steps
    .flatMap((step) => [bare(step, step.at), ...(step.inside ?? []).map((s) => bare(s, step.at + s.at))])
    .sort((x, y) => x.at - y.at);
}

/** A step at `at` without the steps inside it, spelled out: object rest (`{ inside, ...step }`) is slow in V8, once per step of every run. */
const bare = (s: Step, at: number): Step => ({ at, kind: s.kind, a: s.a, b: s.b, c: s.c });

/**
 * The application of the #578 report: every 30 s a pod either opens the streams of two
 * conduits or closes all it has open, here for `cycles` rounds on every TAPA, behind a
 * proxy that hands out no bridge IPs.
 */
export function reporterScenario(tapas: number, cycles: number, faults: readonly Step[] = []): Scenario {
  const steps: Step[] = [];
  for (let i = 0; i < cycles; i++) {
    for (let a = 0; a < tapas; a++) steps.push({ at: i * 30_000 + a, kind: i % 2 === 0 ? 'openAll' : 'closeAll', a, b: 0, c: 0 });
  }
  // End with the streams open, so that convergence means something.
  if (cycles % 2 === 0) for (let a = 0; a < tapas; a++) steps.push({ at: cycles * 30_000 + a, kind: 'openAll', a, b: 0, c: 0 });
  return { tapas, conduits: 2, streams: 2, maxTargets: 4, faultyProxy: true, steps: [...steps, ...faults] };
}
