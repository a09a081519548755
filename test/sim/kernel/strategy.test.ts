import { expect } from 'chai';
import { ChoicesStrategy } from '../../../src/sim/kernel/choices.js';
import { FifoStrategy } from '../../../src/sim/kernel/fifo.js';
import { PctStrategy } from '../../../src/sim/kernel/pct.js';
import { RandomStrategy } from '../../../src/sim/kernel/random.js';
import { ReplayStrategy } from '../../../src/sim/kernel/replay.js';
import { createStrategy } from '../../../src/sim/kernel/strategy-spec.js';

describe('sim/kernel createStrategy', () => {
  it('builds each kind from its spec', () => {
    expect(createStrategy({ kind: 'fifo' })).to.be.instanceOf(FifoStrategy);
    expect(createStrategy({ kind: 'random', seed: 3 }).name).to.equal('random(seed=3)');
    expect(createStrategy({ kind: 'replay', choices: [0, 1] })).to.be.instanceOf(ReplayStrategy);
    expect(createStrategy({ kind: 'choices', choices: [2] })).to.be.instanceOf(ChoicesStrategy);
    expect(createStrategy({ kind: 'random', seed: 3 })).to.be.instanceOf(RandomStrategy);
  });

  it('fills in the PCT defaults', () => {
    const pct = createStrategy({ kind: 'pct', seed: 9 });
    expect(pct).to.be.instanceOf(PctStrategy);
    expect((pct as PctStrategy).depth).to.equal(3);
    expect((pct as PctStrategy).maxSteps).to.equal(1000);
    const deep = createStrategy({ kind: 'pct', seed: 9, depth: 5, maxSteps: 200 }) as PctStrategy;
    expect(deep.changePoints).to.have.length(4);
  });
});
