import { expect } from 'chai';
import { TriedSchedules } from '../../../src/sim/explore/tried.js';
import { reporterScenario } from '../../../src/sim/harness/scenario.js';

describe('sim/explore TriedSchedules', () => {
  const scenario = reporterScenario(1, 1);
  // Three steps among 2, 3 and 1 ready tasks: indices 1, 2, 0.
  const run = { choices: [1, 2, 0], readyCounts: [2, 3, 1] };

  it('knows a list that takes the same tasks at every step, past its end too', () => {
    const tried = new TriedSchedules();
    tried.add(scenario, run, true);
    expect(tried.outcome(scenario, [1, 2, 0])).to.equal(true);
    expect(tried.outcome(scenario, [3, 5, 7])).to.equal(true);
    expect(tried.outcome(scenario, [1, 2])).to.equal(true);
    expect(tried.outcome(scenario, [1, -1, 9, 4, 4])).to.equal(true);
  });

  it('tells apart runs that part after a common start, and lists that follow neither', () => {
    const tried = new TriedSchedules();
    tried.add(scenario, run, true);
    tried.add(scenario, { choices: [1, 0, 0, 1], readyCounts: [2, 3, 1, 2] }, false);
    tried.add(scenario, run, true);
    expect(tried.outcome(scenario, [1, 2, 0])).to.equal(true);
    expect(tried.outcome(scenario, [1, 0, 0, 1])).to.equal(false);
    expect(tried.outcome(scenario, [3, 3, 5, 3])).to.equal(false);
    expect(tried.outcome(scenario, [1, 0, 0, 0])).to.equal(undefined);
    expect(tried.outcome(scenario, [1, 1])).to.equal(undefined);
  });

  it('does not know a list that takes another task at some step, nor the same list in another scenario', () => {
    const tried = new TriedSchedules();
    tried.add(scenario, run, false);
    expect(tried.outcome(scenario, [0, 2, 0])).to.equal(undefined);
    expect(tried.outcome(scenario, [1])).to.equal(undefined);
    expect(tried.outcome({ ...scenario, streams: scenario.streams + 1 }, [1, 2, 0])).to.equal(undefined);
  });
});
