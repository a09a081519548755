import { expect } from 'chai';
import type { StreamResponse } from '../../src/wire/ambassador/v1/tap.js';
import { eventually, rig, stream, type Rig } from './world.js';

describe('sidecar: heal when the NSM monitor stream breaks', function () {
  this.timeout(30_000);
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.stop();
  });

  it('a cut monitor stream is healed as NSM heal does (Close, then a reselect on the same path), and the stream comes back ENABLED', async () => {
    let last: StreamResponse | undefined;
    const w = r.watch(stream(''), (m) => {
      last = m;
    });
    const enabled = () => r.world.nsp.allTargets().filter((t) => t.status === 'ENABLED');
    expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
    await eventually(() => expect(enabled()).to.have.length(1));
    const id = r.connectionId('load-balancer-a1');
    const before = enabled()[0]!.ips;
    const calls = r.world.nsmCalls.length;
    expect(r.world.cutNsmMonitors()).to.equal(1);
    await eventually(() => {
      const after = r.world.nsmCalls.slice(calls).map((c) => `${c.method} ${c.connectionId}`);
      expect(after.slice(0, 2)).to.deep.equal([`close ${id}`, `request ${id}`]);
      expect(enabled()).to.have.length(1);
      // The reselect moved the connection to new IPs; the target followed.
      expect(enabled()[0]!.ips).to.not.deep.equal(before);
      expect(enabled()[0]!.ips).to.deep.equal(r.world.nsm.addressesOf(id).slice(-2));
      expect(last?.streamStatus.map((s) => s.status)).to.deep.equal(['OPEN']);
    });
    expect(r.world.nsm.violations()).to.deep.equal([]);
    w.cancel();
  });
});
