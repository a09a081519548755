import { expect } from 'chai';
import { runtimeTimeToFind } from '../bench/cycle.js';
import { fcSchedulerTimeToFind } from '../bench/peer.js';
import { simThroughput } from '../bench/sim.js';

/**
 * What the figures of `npm run bench` stand on (it runs the compiled code, as these
 * tests do through the bench's own imports): a figure measured on a scenario that fails,
 * or on a peer port that cannot deadlock, would mean nothing.
 */
describe('bench', () => {
  it('the standard simulator scenario is clean on the core under seeded random schedules', () => {
    // simThroughput throws, naming the seed, when a run fails.
    expect(simThroughput(20).schedulesPerSec).to.be.above(0);
  });

  it('the fc.scheduler port of the #578 cycle deadlocks, and fast-check finds an order that shows it', async () => {
    for (let seed = 1; seed <= 5; seed++) expect((await fcSchedulerTimeToFind(seed)).found, `seed ${seed}`).to.equal(true);
  });

  it('the goroutine runtime reports the same cycle, within a few schedules', () => {
    for (let seed = 1; seed <= 5; seed++) expect(runtimeTimeToFind(seed).schedules, `seed ${seed}`).to.be.within(1, 20);
  });
});
