import { expect } from 'chai';
import { localIps } from '../../src/core/localips.js';
import { formatPrefixes, isIPv6, parsePrefix, sameSet } from '../../src/core/prefix.js';
import { IP_A, IP_B, answered } from './driver.js';

describe('core: addresses', () => {
  it('parses prefixes strictly and writes them canonically', () => {
    expect(parsePrefix('172.16.0.2/24')?.text).to.equal('172.16.0.2/24');
    expect(parsePrefix('2000:0:0::1/128')?.text).to.equal('2000::1/128');
    expect(parsePrefix('fd00::2/64')?.text).to.equal('fd00::2/64');
    expect(parsePrefix('10.0.0.1/32')?.text).to.equal('10.0.0.1/32');
    expect(parsePrefix('10.0.0.1/0')?.text).to.equal('10.0.0.1/0');
    expect(parsePrefix('10.0.0.1/024')?.bits).to.equal(24);
    expect(parsePrefix('::1/128')?.text).to.equal('::1/128');
    expect(parsePrefix('::ffff:10.0.0.1/120')?.ip.kind()).to.equal('ipv6');
    for (const bad of [
      '172.16.0.2',
      '0x7f.1/8',
      '10.0.0.1/33',
      'fe80::1%eth0/64',
      '::1/129',
      'x/1',
      '10.0.0.1/',
      '10.0.0.1/a24',
      '10.0.0.1/24a',
      '10.0.0.1/-1',
      '10.0.0.1/1234',
      '/24',
      '10.0.0.1/24/24',
    ]) {
      expect(parsePrefix(bad), bad).to.equal(undefined);
    }
  });

  it('formatPrefixes drops invalid entries and duplicates, keeping order', () => {
    expect(formatPrefixes(['20.0.0.1/32', 'junk', '2000::0:1/128', '20.0.0.1/32'])).to.deep.equal(['20.0.0.1/32', '2000::1/128']);
  });

  it('IPv6 is "at least two colons", as in Meridio', () => {
    expect(isIPv6('fd00::1/64')).to.equal(true);
    expect(isIPv6('172.16.0.1/24')).to.equal(false);
  });

  it('local IPs: source addresses minus VIPs, inside a bridge gateway subnet and at least as specific', () => {
    const c = answered(
      { connection: { id: 'x', networkService: 'n', labels: {}, networkServiceEndpointName: '', payload: 'ETHERNET', state: 'UP' } },
      ['172.16.0.2/24', 'fd00::2/64', '20.0.0.1/32', '10.0.0.5/24', '172.16.0.9/16'],
    );
    expect(localIps(c, ['20.0.0.1/32'])).to.deep.equal(['172.16.0.2/24', 'fd00::2/64']);
  });

  it('local IPs without gateways: source addresses minus VIPs (one rule, unlike Go v1.1.4)', () => {
    const c = answered(
      { connection: { id: 'x', networkService: 'n', labels: {}, networkServiceEndpointName: '', payload: 'ETHERNET', state: 'UP' } },
      ['172.16.0.2/24', '20.0.0.1/32'],
      [],
    );
    expect(localIps(c, ['20.0.0.1/32'])).to.deep.equal(['172.16.0.2/24']);
    expect(localIps(undefined, [])).to.deep.equal([]);
  });

  it('sameSet: the same addresses in any order, duplicates aside', () => {
    expect(sameSet([IP_A, IP_B], [IP_A, IP_B])).to.equal(true);
    expect(sameSet([IP_A, IP_B], [IP_B, IP_A])).to.equal(true);
    expect(sameSet([IP_A, IP_A, IP_B], [IP_B, IP_A])).to.equal(true);
    expect(sameSet([IP_A, IP_B], [IP_A, '172.16.0.9/24'])).to.equal(false);
    expect(sameSet([IP_A], [IP_A, IP_B])).to.equal(false);
    expect(sameSet([IP_A, IP_B], [IP_A, IP_A])).to.equal(false);
    expect(sameSet([], [])).to.equal(true);
  });
});
