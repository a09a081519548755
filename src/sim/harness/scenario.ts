import fc from 'fast-check';

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
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface Step {
  /** Virtual ms from the start. */
  readonly at: number;
  readonly kind: StepKind;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** Fault windows last at most this long. */
export const MAX_WINDOW_MS = 10_000;

export function windowMs(step: Step): number {
  return step.kind === 'nspOutage' || step.kind === 'nsmErrors' ? Math.min(MAX_WINDOW_MS, 1_000 * (1 + step.c)) : 0;
}

/** When the last step and the last fault window are over; convergence is judged after it. */
export function quietAt(scenario: Scenario): number {
  return scenario.steps.reduce((t, s) => Math.max(t, s.at + windowMs(s)), 0);
}

export interface ScenarioOptions {
  readonly maxTapas?: number;
  readonly maxConduits?: number;
  readonly maxStreams?: number;
  readonly maxSteps?: number;
  /** Only application steps, no faults. */
  readonly faults?: boolean;
  /** Only these kinds of steps (overrides `faults`). */
  readonly kinds?: readonly StepKind[];
  /** Steps happen within this many virtual ms. */
  readonly horizonMs?: number;
}

export const APP_STEPS: readonly StepKind[] = ['open', 'close', 'openAll', 'closeAll', 'watch'];

export function scenarioArb(options: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const kinds = options.kinds ?? (options.faults === false ? APP_STEPS : STEP_KINDS);
  // Opens are the common case; without them there is nothing to break.
  const kindArb = fc.oneof(...kinds.map((k) => ({ weight: k === 'open' || k === 'openAll' ? 4 : 1, arbitrary: fc.constant(k) })));
  const step: fc.Arbitrary<Step> = fc.record({
    at: fc.integer({ min: 0, max: options.horizonMs ?? 120_000 }),
    kind: kindArb,
    a: fc.nat(9),
    b: fc.nat(9),
    c: fc.nat(9),
  });
  return fc.record({
    tapas: fc.integer({ min: 1, max: options.maxTapas ?? 3 }),
    conduits: fc.integer({ min: 1, max: options.maxConduits ?? 3 }),
    streams: fc.integer({ min: 1, max: options.maxStreams ?? 4 }),
    maxTargets: fc.integer({ min: 1, max: 4 }),
    faultyProxy: fc.boolean(),
    steps: fc.array(step, { minLength: 1, maxLength: options.maxSteps ?? 12 }),
  });
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

/** Scenario steps in the order they happen (stable for equal times). */
export function timeline(scenario: Scenario): Step[] {
  return scenario.steps
    .map((s, i) => ({ s, i }))
    .sort((x, y) => x.s.at - y.s.at || x.i - y.i)
    .map((x) => x.s);
}

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
