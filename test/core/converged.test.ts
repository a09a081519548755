import { expect } from 'chai';
import { converged, divergences, type WorldView } from '../../src/core/converged.js';
import type { Connection, NspTarget } from '../../src/core/wire.js';
import { Driver, IP_A, IP_B, nspStream, openStream, tapStream, target } from './driver.js';

function view(targets: NspTarget[], connections: Connection[], streams = [nspStream('stream-a1')]): WorldView {
  return { targets, connections, streams: () => streams, enabledByOthers: () => 0 };
}

describe('core: convergence', () => {
  it('an OPEN stream with its one ENABLED target under the local IPs, and its connection, is converged', () => {
    const d = new Driver();
    const id = openStream(d);
    const connection = d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.connection!;
    expect(divergences(d.state, view([target([IP_A], id, 'ENABLED')], [connection]))).to.deep.equal([]);
    expect(converged(d.state, view([target([IP_A], id, 'ENABLED')], [connection]))).to.equal(true);
  });

  it('names what is off: a stale target, a missing or extra connection, a DISABLED target', () => {
    const d = new Driver();
    const id = openStream(d);
    const connection = d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.connection!;
    const stale = target([IP_B], 9, 'ENABLED');
    expect(divergences(d.state, view([target([IP_A], id, 'ENABLED'), stale], [connection])).join('\n')).to.match(/2 targets registered, expected 1[\s\S]*stale target 172.16.0.3\/24/);
    expect(divergences(d.state, view([target([IP_A], id, 'ENABLED')], [])).join('\n')).to.contain('NSM holds no connection');
    expect(divergences(d.state, view([target([IP_A], id, 'DISABLED')], [connection])).join('\n')).to.contain('target is DISABLED');
    d.close(tapStream('stream-a1'));
    expect(divergences(d.state, view([], [connection]))).to.deep.equal([`NSM connection ${connection.id} has no open stream`]);
  });

  it('a stream the NSP does not define must hold no target and not be OPEN', () => {
    const d = new Driver();
    const id = openStream(d);
    const connection = d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.connection!;
    expect(divergences(d.state, view([target([IP_A], id, 'ENABLED')], [connection], [])).join('\n')).to.match(/1 targets registered for a stream that cannot be open[\s\S]*reported OPEN/);
  });
});
