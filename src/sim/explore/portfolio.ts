/**
 * The default strategy of a hunt: no single strategy finds every bug. On the smallest
 * scenario of a deadlock between a Close and a VIP update (issue 17), a random walk hits
 * it in 9 % of schedules and PCT in 0.5 %; on #578 PCT is the one that finds it fast. As
 * Coyote's portfolio does, a hunt rotates over strategies and PCT depths run by run.
 */
export interface PortfolioEntry {
  readonly strategy: 'random' | 'pct' | 'choices';
  /** PCT's depth: the number of ordering constraints it can force, plus one. */
  readonly depth?: number;
}

/**
 * Eight entries, a power of two: a run's seed (`runSeed`) is the hunt's seed plus an odd
 * multiple of the run index, modulo 2^32, so the seed's low three bits take each value
 * once in any eight consecutive runs. Picking by the run's seed is thus an exact
 * rotation over run indices, and a run's plan stays a function of its seed alone:
 * sharding, merging and replaying need to know nothing more.
 */
export const PORTFOLIO: readonly PortfolioEntry[] = [
  { strategy: 'random' },
  { strategy: 'pct', depth: 2 },
  { strategy: 'random' },
  { strategy: 'pct', depth: 3 },
  { strategy: 'choices' },
  { strategy: 'pct', depth: 5 },
  { strategy: 'random' },
  { strategy: 'pct', depth: 10 },
];

/** The portfolio's entry for the run of this seed. */
export function portfolioEntry(seed: number): PortfolioEntry {
  return PORTFOLIO[(seed >>> 0) % PORTFOLIO.length]!;
}
