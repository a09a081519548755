import { createRng, nextInt, type RngState } from '../../core/rng.js';
import type { LatencyProfile, Latencies } from '../harness/scenario.js';

/**
 * Draws how long each message to or from a peer takes, from the scenario's profile of
 * that peer and a generator seeded by the run's seed: the same run takes the same times.
 * Each peer draws from its own generator, so that more NSP traffic does not move every
 * NSM latency. Integer draws only, identical on every platform.
 */
export class Latency {
  private readonly peers = new Map<string, { profile: LatencyProfile; rng: RngState }>();

  /** `profiles` absent: every message arrives at once, and nothing is drawn. */
  constructor(profiles: Latencies | undefined, seed: number, names: { readonly [P in keyof Latencies]: string }) {
    if (!profiles) return;
    for (const [i, peer] of (['nsp', 'nsm'] as const).entries()) {
      this.peers.set(names[peer], { profile: profiles[peer], rng: createRng((Math.imul(seed, 0x9e3779b1) ^ (0x1a7e + i)) >>> 0) });
    }
  }

  /** Virtual ms for one message between a TAPA and `peer`. */
  of(peer: string): number {
    const drawn = this.peers.get(peer);
    if (!drawn) return 0;
    const { profile: p, rng } = drawn;
    const tail = p.tailPermille > 0 && nextInt(rng, 1000) < p.tailPermille ? nextInt(rng, p.tailMs + 1) : 0;
    return p.minMs + nextInt(rng, p.spreadMs + 1) + tail;
  }
}
