import { expect } from 'chai';
import { Draw, SeededSource } from '../../../src/sim/harness/draw.js';

const draws = (bias: number | undefined, n: number, f: (d: Draw) => number): number[] =>
  Array.from({ length: n }, (_, seed) => f(new Draw(new SeededSource(seed), bias)));

describe('sim/harness draw', () => {
  it('keeps every integer and array length within its bounds, biased or not', () => {
    for (const bias of [undefined, 2]) {
      for (const x of draws(bias, 2_000, (d) => d.int(3, 17))) expect(x).to.be.within(3, 17);
      for (const n of draws(bias, 2_000, (d) => d.array(1, 12, (i) => i.int(0, 9)).length)) expect(n).to.be.within(1, 12);
    }
  });

  it('at factor 2 draws a third of its integers near the minimum of their range (two thirds of the biased half), as fast-check does', () => {
    const nearMin = (bias: number | undefined): number => draws(bias, 6_000, (d) => d.int(0, 1_000)).filter((x) => x <= 9).length / 6_000;
    expect(nearMin(undefined)).to.be.below(0.02);
    expect(nearMin(2)).to.be.within(0.28, 0.39);
  });

  it('is a function of its seed, and seeds differ', () => {
    const plan = (seed: number): number[] => {
      const d = new Draw(new SeededSource(seed), 2);
      return d.array(0, 10, (i) => i.int(0, 7));
    };
    expect(plan(42)).to.deep.equal(plan(42));
    expect(new Set(Array.from({ length: 20 }, (_, s) => plan(s).join(','))).size).to.be.above(10);
  });
});
