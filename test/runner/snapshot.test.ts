import { expect } from 'chai';
import { Runner } from '../../src/runner/runner.js';
import { ScriptedTransport } from '../../src/runner/scripted.js';
import { snapshot } from '../../src/runner/snapshot.js';
import { tapStream } from '../core/driver.js';

describe('runner: the state as a log line sees it', () => {
  it('plain JSON: maps as objects, and calls and timers named by what they are for', () => {
    const transport = new ScriptedTransport();
    const runner = new Runner(transport, { seed: 1, config: { name: 'pod-a', node: 'n' }, nspCallsInFlight: 1, newSegmentId: () => 's' });
    runner.open(tapStream('stream-a1'), () => {});
    runner.watch(undefined, () => {});
    const json = snapshot(runner.state) as {
      trenches: Record<string, { conduits: Record<string, { streams: Record<string, { name: string }> }> }>;
      pending: Record<string, string>;
      timers: Record<string, string>;
      watchers: Record<string, unknown>;
    };
    expect(JSON.parse(JSON.stringify(json))).to.deep.equal(json);
    expect(json.trenches['trench-a']!.conduits['load-balancer-a1']!.streams['stream-a1']!.name).to.equal('stream-a1');
    expect(Object.values(json.pending).sort()).to.deep.equal([
      'watch flows trench-a/load-balancer-a1',
      'watch monitor trench-a/load-balancer-a1',
      'watch streams trench-a/load-balancer-a1',
    ]);
    expect(Object.values(json.timers)).to.deep.equal(['recovery trench-a/load-balancer-a1']);
    expect(Object.keys(json.watchers)).to.have.length(1);
  });
});
