import { expect } from 'chai';
import fc from 'fast-check';
import type { TapaEffect } from '../../src/core/effects.js';
import { invariants } from '../../src/core/invariants.js';
import { loadState, saveState } from '../../src/core/saved.js';
import { initialState, type TapaState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';
import { choiceArb, eventFor, rememberCalls, type Call } from './random-events.js';

/** Data as JSON sees it: an absent field and an undefined one are the same. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null)) as unknown;
const saved = (state: TapaState): unknown => JSON.parse(saveState(state)) as unknown;

describe('core: the state is plain data', () => {
  it('after every step of random event sequences, a JSON copy equals the state and steps exactly as it does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.array(choiceArb, { maxLength: 60 }), (seed, script) => {
        const state = initialState(seed, { name: 'pod-a', node: 'node-1' });
        const calls = new Map<number, Call>();
        for (const [i, choice] of script.entries()) {
          const copy = loadState(saveState(state));
          expect(saved(copy)).to.deep.equal(saved(state));
          const event = eventFor(state, calls, choice, i + 1);
          const effects: TapaEffect[] = step(state, event);
          expect(plain(step(copy, structuredClone(event)))).to.deep.equal(plain(effects), `effects of step ${i}, ${event.kind}`);
          expect(saved(copy)).to.deep.equal(saved(state));
          expect(invariants(copy)).to.deep.equal([]);
          rememberCalls(calls, effects);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a map entry without a value (a Watch without a filter) comes back without one', () => {
    const state = initialState(1);
    step(state, { kind: 'tapWatch', watcher: 1, filter: undefined });
    const copy = loadState(saveState(state));
    expect([...copy.watchers]).to.deep.equal([[1, undefined]]);
  });
});
