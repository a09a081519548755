import { expect } from 'chai';
import fc from 'fast-check';
import { noChanges } from '../../src/core/changes.js';
import { loadState, saveState } from '../../src/core/saved.js';
import { initialState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';
import { applyDelta, takeDelta, type StateDelta } from '../../src/runner/state-delta.js';
import { Driver, openStream, tapStream } from '../core/driver.js';
import { choiceArb, eventFor, rememberCalls, type Call } from '../core/random-events.js';

describe('runner: a copy of the state brought forward by deltas', () => {
  it('equals the state saved where it stands, at every delta and after any number of them, on random event sequences', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        // A step, or (null) the end of a delta; a delta is applied to the copy `behind` deltas later. Long
        // scripts, so that conduits and streams are dropped and made again, within a delta and across.
        fc.array(fc.option(choiceArb, { freq: 12, nil: null }), { minLength: 50, maxLength: 400 }),
        fc.nat(3),
        (seed, script, behind) => {
          const state = initialState(seed, { name: 'pod-a', node: 'node-1' });
          const copy = loadState(saveState(state));
          let changes = noChanges();
          const calls = new Map<number, Call>();
          // Each delta with the state saved at its end, kept until it is applied.
          const waiting: { delta: StateDelta; saved: string }[] = [];
          const apply = (): void => {
            const { delta, saved } = waiting.shift()!;
            applyDelta(copy, delta);
            expect(saveState(copy)).to.equal(saved);
          };
          const take = (): void => {
            waiting.push({ delta: takeDelta(state, changes), saved: saveState(state) });
            changes = noChanges();
          };
          for (const [i, choice] of script.entries()) {
            if (choice === null) {
              take();
              if (waiting.length > behind) apply();
              continue;
            }
            const effects = step(state, eventFor(state, calls, choice, i + 1), changes);
            rememberCalls(calls, effects);
          }
          take();
          while (waiting.length > 0) apply();
          expect(saveState(copy)).to.equal(saveState(state));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the registry in the order of the last joins: a stream re-opened while its target is withdrawn goes to the end', () => {
    const d = new Driver();
    openStream(d, 'stream-a1');
    const copy = loadState(saveState(d.state));
    const changes = noChanges();
    let request = 100;
    const tap = (kind: 'tapOpen' | 'tapClose', name: string): void =>
      void step(d.state, { kind, request: ++request, stream: tapStream(name) }, changes);
    // stream-a1 keeps its object throughout: its unregister is in flight.
    tap('tapClose', 'stream-a1');
    tap('tapOpen', 'stream-a1');
    tap('tapOpen', 'stream-a2');
    tap('tapClose', 'stream-a1');
    tap('tapOpen', 'stream-a1');
    expect([...d.state.registry.values()].map((at) => at.stream)).to.deep.equal(['stream-a2', 'stream-a1']);
    applyDelta(copy, takeDelta(d.state, changes));
    expect(saveState(copy)).to.equal(saveState(d.state));
  });
});
