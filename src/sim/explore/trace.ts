import type { LogEntry, StrategySpec } from '../kernel/index.js';
import type { Failure, FailureKind } from '../harness/run.js';
import { STEP_KINDS, type Latencies, type LatencyProfile, type Scenario, type Step } from '../harness/scenario.js';
import type { Start } from '../harness/start.js';

export const TRACE_FORMAT = 'tapa-sim-trace';
export const TRACE_VERSION = 1;

/** A run written down: enough to replay it exactly and to check that it did (docs/trace-format.md). */
export interface Trace {
  readonly format: typeof TRACE_FORMAT;
  readonly version: typeof TRACE_VERSION;
  readonly model: string;
  readonly scenario: Scenario;
  /** How the schedule was found (informational; replay uses `choices`). */
  readonly strategy: StrategySpec;
  readonly seed: number;
  /** The index chosen at every step among the ready tasks. */
  readonly choices: readonly number[];
  readonly failure: Failure | null;
  /** How long the world ran on after a deadlock before it was reported (absent: 0). */
  readonly lingerMs?: number;
  /** The run also checked lock order (`hunt --lockdep`). */
  readonly lockdep?: boolean;
  /** The concrete strategy of the run a hunt found, before shrinking (the portfolio's pick). */
  readonly foundBy?: StrategySpec;
  /** Of a model loaded from a file (`--model ./model.js`): where it came from. */
  readonly modelSource?: ModelSource;
  /** Of a hunt from a flight recording: the recorded core and world the run began with (harness/start.ts). */
  readonly start?: Start;
  readonly log: readonly LogEntry[];
}

/** A model file: the path as given on the command line, and the SHA-256 of its content. */
export interface ModelSource {
  readonly path: string;
  readonly sha256: string;
}

/** What a trace says beyond the run itself: how the run was found, where its model came from. */
export type TraceNote = Pick<Trace, 'foundBy' | 'modelSource'>;

export class TraceError extends Error {}

export const FAILURE_KINDS: readonly FailureKind[] = ['invariant', 'hang', 'stall', 'convergence', 'deadlock', 'potential-deadlock'];

/** Reads a trace, with one clear message for whatever is wrong with it. */
export function parseTrace(text: string, knownModels: readonly string[]): Trace {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TraceError(`not JSON: ${(err as Error).message}`);
  }
  const t = object(raw, 'trace');
  if (t['format'] !== TRACE_FORMAT) throw new TraceError(`not a ${TRACE_FORMAT} file (format: ${JSON.stringify(t['format'])})`);
  if (t['version'] !== TRACE_VERSION)
    throw new TraceError(`unknown trace version ${JSON.stringify(t['version'])}; this tapa-sim reads version ${TRACE_VERSION}`);
  const model = string(t['model'], 'model');
  const modelSource = t['modelSource'] === undefined ? undefined : parseModelSource(t['modelSource']);
  // A model from a file is checked once it is loaded: its name is the file's business.
  if (!modelSource && !knownModels.includes(model)) throw new TraceError(`unknown model "${model}"; known: ${knownModels.join(', ')}`);
  const failure = t['failure'] === null ? null : parseFailure(t['failure']);
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    model,
    scenario: parseScenario(t['scenario']),
    strategy: object(t['strategy'], 'strategy') as unknown as StrategySpec,
    seed: integer(t['seed'], 'seed', 0, 2 ** 32),
    choices: array(t['choices'], 'choices').map((c, i) => integer(c, `choices[${i}]`, 0, 2 ** 31)),
    failure,
    ...(t['lingerMs'] === undefined ? {} : { lingerMs: integer(t['lingerMs'], 'lingerMs', 0, 2 ** 40) }),
    ...(t['lockdep'] === undefined ? {} : { lockdep: boolean(t['lockdep'], 'lockdep') }),
    ...(t['foundBy'] === undefined ? {} : { foundBy: object(t['foundBy'], 'foundBy') as unknown as StrategySpec }),
    ...(modelSource ? { modelSource } : {}),
    ...(t['start'] === undefined ? {} : { start: parseStart(t['start']) }),
    log: array(t['log'], 'log').map((e, i) => {
      const o = object(e, `log[${i}]`);
      return {
        seq: integer(o['seq'], `log[${i}].seq`, 0, 2 ** 31),
        time: integer(o['time'], `log[${i}].time`, 0, 2 ** 52),
        actor: string(o['actor'], `log[${i}].actor`),
        label: string(o['label'], `log[${i}].label`),
      };
    }),
  };
}

export function parseScenario(raw: unknown): Scenario {
  const s = object(raw, 'scenario');
  return {
    tapas: integer(s['tapas'], 'scenario.tapas', 1, 16),
    conduits: integer(s['conduits'], 'scenario.conduits', 1, 26),
    streams: integer(s['streams'], 'scenario.streams', 1, 64),
    maxTargets: integer(s['maxTargets'], 'scenario.maxTargets', 1, 1000),
    faultyProxy: boolean(s['faultyProxy'], 'scenario.faultyProxy'),
    steps: array(s['steps'], 'scenario.steps').map((raw, i) => parseStep(raw, `scenario.steps[${i}]`, true)),
    ...(s['latency'] === undefined ? {} : { latency: parseLatencies(s['latency']) }),
  };
}

function parseStep(raw: unknown, what: string, window: boolean): Step {
  const st = object(raw, what);
  const kind = st['kind'];
  if (!STEP_KINDS.includes(kind as Step['kind'])) throw new TraceError(`${what}.kind: unknown step ${JSON.stringify(kind)}`);
  const inside = st['inside'];
  if (inside !== undefined && !window) throw new TraceError(`${what}.inside: a step inside a window holds no steps`);
  return {
    at: integer(st['at'], `${what}.at`, 0, 2 ** 40),
    kind: kind as Step['kind'],
    a: integer(st['a'], `${what}.a`, 0, 2 ** 31),
    b: integer(st['b'], `${what}.b`, 0, 2 ** 31),
    c: integer(st['c'], `${what}.c`, 0, 2 ** 31),
    ...(inside === undefined ? {} : { inside: array(inside, `${what}.inside`).map((r, i) => parseStep(r, `${what}.inside[${i}]`, false)) }),
  };
}

function parseLatencies(raw: unknown): Latencies {
  const l = object(raw, 'scenario.latency');
  const profile = (peer: keyof Latencies): LatencyProfile => {
    const p = object(l[peer], `scenario.latency.${peer}`);
    const field = (name: keyof LatencyProfile, max: number): number => integer(p[name], `scenario.latency.${peer}.${name}`, 0, max);
    return {
      minMs: field('minMs', 60_000),
      spreadMs: field('spreadMs', 60_000),
      tailPermille: field('tailPermille', 1000),
      tailMs: field('tailMs', 60_000),
    };
  };
  return { nsp: profile('nsp'), nsm: profile('nsm') };
}

/** The recorded state itself is the core's to read, as a recording's snapshot is; the rest is checked here. */
function parseStart(raw: unknown): Start {
  const s = object(raw, 'start');
  const effects = array(s['resume'], 'start.resume').map((r, i) => {
    const e = object(r, `start.resume[${i}]`);
    return { effect: object(e['effect'], `start.resume[${i}].effect`), cause: object(e['cause'], `start.resume[${i}].cause`) };
  });
  return {
    recording: string(s['recording'], 'start.recording'),
    steps: integer(s['steps'], 'start.steps', 0, 2 ** 40),
    state: object(s['state'], 'start.state'),
    resume: effects as unknown as Start['resume'],
    lost: array(s['lost'], 'start.lost').map((op, i) => integer(op, `start.lost[${i}]`, 0, 2 ** 52)),
  };
}

function parseModelSource(raw: unknown): ModelSource {
  const m = object(raw, 'modelSource');
  const sha256 = string(m['sha256'], 'modelSource.sha256');
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new TraceError('modelSource.sha256: expected 64 hex digits');
  return { path: string(m['path'], 'modelSource.path'), sha256 };
}

function parseFailure(raw: unknown): Failure {
  const f = object(raw, 'failure');
  const kind = f['kind'];
  if (!FAILURE_KINDS.includes(kind as FailureKind)) throw new TraceError(`failure.kind: unknown ${JSON.stringify(kind)}`);
  return {
    kind: kind as FailureKind,
    message: string(f['message'], 'failure.message'),
    time: integer(f['time'], 'failure.time', 0, 2 ** 52),
    signature: f['signature'] === undefined ? '' : string(f['signature'], 'failure.signature'),
  };
}

// Shared with the other files tapa-sim reads (hunt summaries), so that all name the bad field alike.
export function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TraceError(`${what}: expected an object`);
  return v as Record<string, unknown>;
}

export function array(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new TraceError(`${what}: expected an array`);
  return v;
}

export function string(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new TraceError(`${what}: expected a string`);
  return v;
}

export function boolean(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new TraceError(`${what}: expected true or false`);
  return v;
}

export function integer(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new TraceError(`${what}: expected an integer in [${min}, ${max}]`);
  return v;
}

/** The first place where two logs differ, or undefined when they are the same. */
export function firstDivergence(expected: readonly LogEntry[], actual: readonly LogEntry[]): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (!e || !a || e.time !== a.time || e.actor !== a.actor || e.label !== a.label) {
      const show = (x: LogEntry | undefined): string => (x ? `t=${x.time} ${x.actor}: ${x.label}` : '(end of log)');
      return `step ${i}: recorded ${show(e)}, replayed ${show(a)}`;
    }
  }
  return undefined;
}
