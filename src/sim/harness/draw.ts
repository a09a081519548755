import { createRng, nextInt, type RngState } from '../../core/rng.js';

/** Uniform integers in [min, max]: fast-check's `Random` under a property, `SeededSource` in a hunt. */
export interface Source {
  nextInt(min: number, max: number): number;
}

/** The sim's own generator: a hunt draws each run's plan from it directly, at a fraction of fast-check's cost per draw. */
export class SeededSource implements Source {
  private readonly rng: RngState;

  constructor(seed: number) {
    this.rng = createRng(seed);
  }

  nextInt(min: number, max: number): number {
    return min + nextInt(this.rng, max - min + 1);
  }
}

/**
 * Numbers for a scenario or a schedule, with fast-check's bias: given a bias factor f,
 * one integer in f is drawn near an end of its range (two times in three near the
 * minimum), where bugs gather: steps at the same instant, the fewest TAPAs, the longest
 * delays. Hunts draw at f = 2, the factor of fast-check's first value in a property.
 */
export class Draw {
  constructor(
    private readonly source: Source,
    private readonly biasFactor: number | undefined,
  ) {}

  int(min: number, max: number): number {
    const { source, biasFactor } = this;
    if (min === max || biasFactor === undefined || source.nextInt(1, biasFactor) !== 1) return source.nextInt(min, max);
    const near = Math.floor(Math.log2(max - min));
    return source.nextInt(0, 2) < 2 ? source.nextInt(min, min + near) : source.nextInt(max - near, max);
  }

  boolean(): boolean {
    return this.source.nextInt(0, 1) === 1;
  }

  /** One of `options`, each as likely as its weight (unbiased). */
  pick<T>(options: readonly T[], weight: (option: T) => number): T {
    let left = this.source.nextInt(0, options.reduce((sum, o) => sum + weight(o), 0) - 1);
    for (const o of options) {
      left -= weight(o);
      if (left < 0) return o;
    }
    throw new RangeError('Draw.pick: no options');
  }

  /**
   * Between `min` and `max` items. Biased one time in f as a whole: then its items are
   * biased too, and one time in f it is also short (up to log2 of its range above
   * `min`); an array of one length always has biased items.
   */
  array<T>(min: number, max: number, item: (draw: Draw) => T): T[] {
    const { source, biasFactor } = this;
    const whole = biasFactor !== undefined && (min === max || source.nextInt(1, biasFactor) === 1);
    const short = whole && min !== max && source.nextInt(1, biasFactor) === 1;
    const length = source.nextInt(min, short ? min + Math.floor(Math.log2(max - min)) : max);
    const items = whole ? this : new Draw(source, undefined);
    return Array.from({ length }, () => item(items));
  }
}
