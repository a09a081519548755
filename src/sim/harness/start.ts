import { IDENTIFIER_KEY, loadState, type TapaEffect, type TapaEvent, type TapaState } from '../../core/index.js';
import type { Connection, NspTarget } from '../../core/wire.js';
import type { ConduitConfig } from '../world/conduitconfig.js';
import { initialConfiguration } from '../world/configuration.js';
import { conduitName, NAMESPACE, streamName, tapaName, TRENCH, type Scenario } from './scenario.js';

/**
 * Where every run of `hunt --from-recording` starts (docs/trace-format.md): the first TAPA
 * is a sidecar's core restored at the end of its flight recording, picking up the calls
 * it waited for and the timers it had set; the world holds what that state implies.
 * Plain JSON, so that a counterexample carries it and replays from it.
 */
export interface Start {
  /** The recording it comes from: its `why`, and how many of its steps led here. */
  readonly recording: string;
  readonly steps: number;
  /** The core's state (saveState, parsed). */
  readonly state: unknown;
  /**
   * What the core had asked for and not seen the end of, as it asked for it, with the event
   * that asked: calls in flight and timers set (`afterMs`: what was left of it).
   */
  readonly resume: readonly { readonly effect: TapaEffect; readonly cause: TapaEvent }[];
  /** Calls in flight begun before the recording: nothing says what they were, so they fail at the start. */
  readonly lost: readonly number[];
}

/** A recorded state this simulator cannot put a world around; the message says why. */
export class StartError extends Error {}

/** What the state of a Start implies about the world, read off the state alone. */
export interface StartingWorld {
  readonly tapa: string;
  /** Targets the core believes the NSP holds (ENABLED or DISABLED). */
  readonly targets: readonly NspTarget[];
  /** The NSM connections the core holds. */
  readonly connections: readonly Connection[];
  /** The application's open streams, by conduit and stream number. */
  readonly open: readonly { readonly conduit: number; readonly stream: number }[];
  /** The counts of the world: conduits and streams as far as the state names them, and what NSM gave (bridge gateways or none). */
  readonly conduits: number;
  readonly streams: number;
  readonly maxTargets: number;
  readonly faultyProxy: boolean;
  /** The NSP's configuration as the core last saw it, conduit by conduit. */
  readonly known: ReadonlyMap<string, ConduitConfig>;
}

const worlds = new WeakMap<Start, StartingWorld>();

/** Read once per Start: every run of a hunt asks for it. */
export function startingWorld(start: Start): StartingWorld {
  let world = worlds.get(start);
  if (!world) worlds.set(start, (world = readWorld(restoredState(start))));
  return world;
}

/** The core's state at the start, afresh: a run changes it. */
export function restoredState(start: Start): TapaState {
  return loadState(JSON.stringify(start.state));
}

function readWorld(state: TapaState): StartingWorld {
  const { name, namespace } = state.config;
  if (namespace !== NAMESPACE)
    throw new StartError(`the recorded TAPA runs in namespace ${namespace}; the simulated world is ${NAMESPACE}`);
  const targets: NspTarget[] = [];
  const connections: Connection[] = [];
  const open: { conduit: number; stream: number }[] = [];
  const known = new Map<string, ConduitConfig>();
  let conduits = 1;
  let streams = 1;
  let maxTargets: number | undefined;
  let faultyProxy = false;
  for (const trench of state.trenches.values()) {
    if (trench.name !== TRENCH)
      throw new StartError(`the recorded TAPA is in trench ${trench.name}; the simulated world has ${TRENCH} only`);
    for (const c of trench.conduits.values()) {
      const ci = indexOf(c.name, conduitName, 26, 'conduit');
      conduits = Math.max(conduits, ci + 1);
      if (c.connection && c.held) {
        connections.push(c.connection);
        faultyProxy ||= (c.connection.context?.ipContext?.extraPrefixes ?? []).length === 0;
      }
      if (c.nspStreams) {
        const config = [...c.nspStreams.values()].map((s) => ({ name: s.name, maxTargets: s.maxTargets }));
        known.set(c.name, {
          name: c.name,
          streams: config,
          flows: [{ name: `flow-${c.name}`, stream: config[0]?.name ?? '', vips: [...(c.vips ?? [])] }],
        });
        for (const s of config) {
          streams = Math.max(streams, indexOf(s.name, (i) => streamName(ci, i), 64, 'stream') + 1);
          maxTargets ??= s.maxTargets;
        }
      }
      for (const s of c.streams.values()) {
        const si = indexOf(s.name, (i) => streamName(ci, i), 64, 'stream');
        streams = Math.max(streams, si + 1);
        if (s.wanted) open.push({ conduit: ci, stream: si });
        const r = s.registered;
        if (r && r.status !== 'UNKNOWN') targets.push(target(s.trench, s.conduit, s.name, r.ips, r.identifier, r.status));
      }
    }
  }
  return {
    tapa: name,
    targets,
    connections,
    open,
    conduits,
    streams,
    maxTargets: Math.min(Math.max(maxTargets ?? 1, 1), 1000),
    faultyProxy,
    known,
  };
}

/** Names in the simulated world are numbered (scenario.ts); a recorded name must be one of them. */
function indexOf(name: string, nameOf: (i: number) => string, max: number, what: string): number {
  for (let i = 0; i < max; i++) if (nameOf(i) === name) return i;
  throw new StartError(`the recorded ${what} ${name} is not one the simulated world can name (${nameOf(0)}, ${nameOf(1)}, ...)`);
}

/** A target as the NSP keeps it: what the core's register call sent. */
function target(
  trench: string,
  conduit: string,
  stream: string,
  ips: readonly string[],
  identifier: number,
  status: 'ENABLED' | 'DISABLED',
): NspTarget {
  return {
    ips: [...ips],
    context: { [IDENTIFIER_KEY]: String(identifier) },
    status,
    type: 'DEFAULT',
    stream: { name: stream, maxTargets: 0, conduit: { name: conduit, destinationPortNats: [], trench: { name: trench } } },
  };
}

/**
 * The scenario a run from `start` runs: the world's counts are the recorded ones (a
 * generated or shrunk scenario may ask for others); more TAPAs may join the recorded one.
 */
export function fitted(scenario: Scenario, start: Start | undefined): Scenario {
  if (!start) return scenario;
  const w = startingWorld(start);
  return { ...scenario, conduits: w.conduits, streams: w.streams, maxTargets: w.maxTargets, faultyProxy: w.faultyProxy };
}

/** The TAPAs' names: the recorded one first, when there is one. */
export function tapaNames(scenario: Scenario, start: Start | undefined): string[] {
  const first = start ? startingWorld(start).tapa : undefined;
  return Array.from({ length: scenario.tapas }, (_, i) => (i === 0 && first !== undefined ? first : tapaName(i)));
}

/** The NSP's configuration at the start: as the core last saw it where it did, the scenario's elsewhere. */
export function startingConfiguration(scenario: Scenario, start: Start | undefined): ConduitConfig[] {
  const config = initialConfiguration(scenario);
  if (!start) return config;
  const { known } = startingWorld(start);
  return config.map((c) => known.get(c.name) ?? c);
}
