import { expect } from 'chai';
import { localIps } from '../../src/core/localips.js';
import { emptyIpContext, vipContext, vipsOfFlows } from '../../src/core/vip.js';
import type { Connection } from '../../src/core/wire.js';
import { IPContext } from '../../src/wire/networkservice/connectioncontext.js';
import { IP_A, flow } from './driver.js';

describe('core: VIPs and the IP context', () => {
  it('the empty IP context is the wire default', () => {
    expect(emptyIpContext()).to.deep.equal(IPContext.create());
  });

  it('VIPs of the flows: canonical, without duplicates, sorted whatever order the flows list them in', () => {
    expect(vipsOfFlows([flow(['2000:0::1/128', '20.0.0.2/32']), flow(['20.0.0.1/32', 'junk', '20.0.0.2/32'])])).to.deep.equal([
      '20.0.0.1/32',
      '20.0.0.2/32',
      '2000::1/128',
    ]);
  });

  it('a connection without an IP context: the VIPs are the only sources, with no gateway to route them through', () => {
    expect(vipContext(undefined, [IP_A], ['20.0.0.1/32'])).to.deep.equal({
      ...IPContext.create(),
      srcIpAddrs: [IP_A, '20.0.0.1/32'],
      policies: [{ from: '20.0.0.1/32', proto: '', dstPort: '', srcPort: '', routes: [] }],
    });
  });

  it('a gateway that does not parse routes nothing and hides no local IP', () => {
    const current = { ...emptyIpContext(), srcIpAddrs: [IP_A], extraPrefixes: ['junk', '172.16.0.1/24'] };
    expect(vipContext(current, [IP_A], ['20.0.0.1/32']).policies).to.deep.equal([
      { from: '20.0.0.1/32', proto: '', dstPort: '', srcPort: '', routes: [{ prefix: '0.0.0.0/0', nextHop: '172.16.0.1' }] },
    ]);
    const connection: Connection = {
      id: 'x',
      networkService: 'n',
      labels: {},
      networkServiceEndpointName: '',
      payload: 'ETHERNET',
      state: 'UP',
      context: { extraContext: {}, MTU: 0, ipContext: current },
    };
    expect(localIps(connection, [])).to.deep.equal([IP_A]);
  });

  it('a connection without a context has no local IPs', () => {
    expect(
      localIps({ id: 'x', networkService: 'n', labels: {}, networkServiceEndpointName: '', payload: 'ETHERNET', state: 'UP' }, []),
    ).to.deep.equal([]);
  });
});
