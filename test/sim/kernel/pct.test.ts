import { expect } from 'chai';
import fc from 'fast-check';
import { PctStrategy } from '../../../src/sim/kernel/pct.js';
import type { Task } from '../../../src/sim/kernel/task.js';
import { chain, programArb, runProgram, type Program } from './program.js';

interface Observed {
  readonly step: number;
  readonly ready: readonly Task[];
  readonly index: number;
  /** Priorities before and after the choice. */
  readonly before: ReadonlyMap<string, number>;
  readonly after: ReadonlyMap<string, number>;
}

/** Wraps a PCT strategy and keeps what it saw and decided at each step. */
function observe(pct: PctStrategy): { strategy: PctStrategy; seen: Observed[] } {
  const seen: Observed[] = [];
  const strategy = Object.create(pct) as PctStrategy;
  strategy.choose = (ready: readonly Task[]): number => {
    const before = new Map(pct.priorities());
    const index = pct.choose(ready);
    seen.push({ step: seen.length + 1, ready: [...ready], index, before, after: new Map(pct.priorities()) });
    return index;
  };
  return { strategy, seen };
}

const actorSequence = (program: Program, pct: PctStrategy): string[] => runProgram(program, pct).scheduler.log.map((e) => e.actor);

describe('sim/kernel pct', () => {
  it('checks its parameters and has the paper defaults', () => {
    const pct = new PctStrategy(1);
    expect(pct.depth).to.equal(3);
    expect(pct.maxSteps).to.equal(1000);
    expect(pct.name).to.equal('pct(seed=1, depth=3, maxSteps=1000)');
    expect(() => new PctStrategy(1, 0)).to.throw(RangeError);
    expect(() => new PctStrategy(1, 2.5)).to.throw(RangeError);
    expect(() => new PctStrategy(1, 3, 0)).to.throw(RangeError);
  });

  it('picks depth-1 distinct change points in [1, maxSteps]', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 50 }), (seed, depth, maxSteps) => {
        const points = new PctStrategy(seed, depth, maxSteps).changePoints;
        expect(points).to.have.length(Math.min(depth - 1, maxSteps));
        expect(new Set(points).size).to.equal(points.length);
        for (const p of points) expect(p).to.be.within(1, maxSteps);
      }),
    );
  });

  it('spreads change points over the whole estimated run', () => {
    const counts = Array<number>(10).fill(0);
    for (let seed = 0; seed < 2000; seed++) {
      for (const p of new PctStrategy(seed, 3, 10).changePoints) counts[p - 1]!++;
    }
    for (const c of counts) expect(c).to.be.within(300, 500);
  });

  it('runs the first ready task of the highest-priority ready actor', () => {
    fc.assert(
      fc.property(programArb, fc.integer(), fc.integer({ min: 1, max: 4 }), (program, seed, depth) => {
        const pct = new PctStrategy(seed, depth, 20);
        const { strategy, seen } = observe(pct);
        runProgram(program, strategy);
        for (const { step, ready, index, before, after } of seen) {
          const chosen = ready[index]!.actor;
          expect(
            ready.findIndex((t) => t.actor === chosen),
            'first task of the actor',
          ).to.equal(index);
          const lowered = pct.changePoints.includes(step);
          // At a change point the chosen actor's old priority is in `before`, unless it was new.
          const own = lowered ? before.get(chosen) : after.get(chosen);
          if (own === undefined) continue;
          for (const t of ready) {
            if (t.actor !== chosen) expect(after.get(t.actor)!, `step ${step}`).to.be.below(own);
          }
        }
      }),
    );
  });

  it('lowers the actor that runs at the i-th change point to priority i, below every initial priority', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const pct = new PctStrategy(seed, 3, 10);
        const actors = actorSequence(
          ['a', 'b', 'c'].map((actor) => chain(actor, 10)),
          pct,
        );
        const [c1, c2] = [...pct.changePoints].sort((x, y) => x - y) as [number, number];
        const x = actors[0]!;
        const y = actors[c1]!;
        const z = actors[c2]!;
        expect(new Set([x, y, z]).size).to.equal(3);
        const priorities = pct.priorities();
        expect(priorities.get(x)).to.equal(pct.changePoints.indexOf(c1) + 1);
        expect(priorities.get(y)).to.equal(pct.changePoints.indexOf(c2) + 1);
        expect(priorities.get(z)).to.be.at.least(3);
        // x runs until the first change point, y until the second, z to its end; then the
        // lowered actors finish, the one with the later-drawn (higher) change point first.
        const run = (actor: string, n: number): string[] => Array<string>(n).fill(actor);
        const xRest = run(x, 10 - c1);
        const yRest = run(y, 10 - (c2 - c1));
        const rest = priorities.get(x)! > priorities.get(y)! ? [...xRest, ...yRest] : [...yRest, ...xRest];
        const expected = [...run(x, c1), ...run(y, c2 - c1), ...run(z, 10), ...rest];
        expect(actors).to.deep.equal(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('with depth 1 never changes a priority, so actors run one after the other', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const pct = new PctStrategy(seed, 1, 5);
        expect(pct.changePoints).to.deep.equal([]);
        const { strategy, seen } = observe(pct);
        const actors = actorSequence(
          ['a', 'b', 'c', 'd'].map((actor) => chain(actor, 6)),
          strategy,
        );
        for (const { before, after } of seen) {
          for (const [actor, p] of before) expect(after.get(actor)).to.equal(p);
        }
        const blocks = actors.filter((actor, i) => actor !== actors[i - 1]);
        expect(blocks).to.have.length(4);
        const byPriority = [...pct.priorities()].sort((a, b) => b[1] - a[1]).map(([actor]) => actor);
        expect(blocks).to.deep.equal(byPriority);
      }),
      { numRuns: 50 },
    );
  });

  it('is deterministic per seed, and seeds differ', () => {
    fc.assert(
      fc.property(programArb, fc.integer(), (program, seed) => {
        const a = runProgram(program, new PctStrategy(seed, 3, 50)).scheduler;
        const b = runProgram(program, new PctStrategy(seed, 3, 50)).scheduler;
        expect(b.log).to.deep.equal(a.log);
        expect(b.choices).to.deep.equal(a.choices);
      }),
    );
    const busy = ['tapa-1', 'tapa-2', 'nsp', 'nsm'].map((actor) => chain(actor, 5));
    const logs = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) logs.add(actorSequence(busy, new PctStrategy(seed, 3, 20)).join());
    expect(logs.size).to.be.at.least(10);
  });
});
