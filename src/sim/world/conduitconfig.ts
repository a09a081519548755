import type { NspFlow, NspStream } from '../../core/wire.js';

/** One conduit of a trench as an operator configures it (Meridio's configmap, reduced). */
export interface ConduitConfig {
  readonly name: string;
  readonly streams: readonly { readonly name: string; readonly maxTargets: number }[];
  /** `vips` are addresses in CIDR notation; the TAPA must cope with invalid ones itself. */
  readonly flows: readonly { readonly name: string; readonly stream: string; readonly vips: readonly string[] }[];
}

const MAX_UINT32 = 0xffff_ffff;

/**
 * Throws on a configuration that Meridio's operator would refuse because a name is
 * ambiguous: a duplicate would make the NSP's answers depend on which copy wins. A flow
 * may name a stream that is not (or no longer) configured; Meridio serves it anyway.
 */
export function checkConfig(trench: string, conduits: readonly ConduitConfig[]): void {
  unique(
    conduits.map((c) => c.name),
    `conduit in trench ${trench}`,
  );
  for (const c of conduits) {
    unique(
      c.streams.map((s) => s.name),
      `stream in ${trench}/${c.name}`,
    );
    unique(
      c.flows.map((f) => f.name),
      `flow in ${trench}/${c.name}`,
    );
    for (const s of c.streams) {
      // maxTargets is a uint32 on the wire.
      if (!Number.isInteger(s.maxTargets) || s.maxTargets < 0 || s.maxTargets > MAX_UINT32) {
        throw new RangeError(`stream ${trench}/${c.name}/${s.name}: maxTargets ${s.maxTargets} is not a uint32`);
      }
    }
  }
}

function unique(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new RangeError(`duplicate ${what}: ${JSON.stringify(n)}`);
    seen.add(n);
  }
}

export function copyConfig(conduits: readonly ConduitConfig[]): ConduitConfig[] {
  return conduits.map((c) => ({
    name: c.name,
    streams: c.streams.map((s) => ({ ...s })),
    flows: c.flows.map((f) => ({ ...f, vips: [...f.vips] })),
  }));
}

function conduitMessage(trench: string, conduit: string): NonNullable<NspStream['conduit']> {
  return { name: conduit, trench: { name: trench }, destinationPortNats: [] };
}

/** The StreamResponse of WatchStream for one conduit. */
export function streamMessages(trench: string, conduit: ConduitConfig): NspStream[] {
  return conduit.streams.map((s) => ({ name: s.name, conduit: conduitMessage(trench, conduit.name), maxTargets: s.maxTargets }));
}

/** The FlowResponse of WatchFlow for one conduit. A VIP is named after its address. */
export function flowMessages(trench: string, conduit: ConduitConfig): NspFlow[] {
  return conduit.flows.map((f) => ({
    name: f.name,
    sourceSubnets: [],
    destinationPortRanges: [],
    sourcePortRanges: [],
    protocols: [],
    priority: 0,
    stream: {
      name: f.stream,
      conduit: conduitMessage(trench, conduit.name),
      maxTargets: conduit.streams.find((s) => s.name === f.stream)?.maxTargets ?? 0,
    },
    vips: f.vips.map((address) => ({ name: address, address })),
    byteMatches: [],
  }));
}
