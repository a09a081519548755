import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { join } from 'node:path';
import { serverStream } from '../../src/grpc/calls.js';
import { signed, withOwnSegment } from '../../src/runner/nsm-path.js';
import { X509Source } from '../../src/grpc/spiffe/source.js';
import { parseSvid, splitDer, spiffeIdOf, type Svid } from '../../src/grpc/spiffe/svid.js';
import { nsmToken, type TokenAudience } from '../../src/grpc/spiffe/token.js';
import { tokenProblem } from '../../src/embedded/token-check.js';
import { SpiffeWorkloadAPIService } from '../../src/wire/spiffe/workload/workload.js';
import type { Connection } from '../../src/wire/networkservice/connection.js';
import { TestCa, type IssuedSvid } from '../support/spiffe-ca.js';
import { WorkloadApi } from '../support/workload-api.js';
import { eventually } from './world.js';
import { X509Certificate } from 'node:crypto';
import { scratchDir } from '../support/scratch.js';

function svidOf(issued: IssuedSvid, ca: TestCa): Svid {
  return parseSvid({ spiffeId: issued.spiffeId, x509Svid: issued.chainDer, x509SvidKey: issued.keyDer, bundle: ca.bundleDer, hint: '' });
}

function connection(path?: Connection['path']): Connection {
  return {
    id: 'pod-a-proxy.lb.trench-a.red-0',
    networkService: 'proxy.lb.trench-a.red',
    labels: {},
    networkServiceEndpointName: '',
    payload: 'ETHERNET',
    state: 'UP',
    ...(path ? { path } : {}),
  };
}

describe('SPIFFE identity and NSM tokens', () => {
  let ca: TestCa;
  let other: TestCa;
  before(() => {
    ca = TestCa.create();
    other = TestCa.create('other.org');
  });
  after(() => {
    ca.dispose();
    other.dispose();
  });

  describe('SVIDs from the Workload API', () => {
    it('splits concatenated DER and rejects truncated or foreign bytes', () => {
      const a = ca.issue('/a');
      const b = ca.issue('/b');
      expect(splitDer(Buffer.concat([a.chainDer, b.chainDer])).map((d) => new X509Certificate(d).serialNumber)).to.deep.equal([
        a.serial,
        b.serial,
      ]);
      expect(() => splitDer(a.chainDer.subarray(0, a.chainDer.length - 1))).to.throw(/truncated/);
      expect(() => splitDer(Buffer.from([0x02, 0x01, 0x00]))).to.throw(/malformed/);
    });

    it('takes the SPIFFE ID from the one URI SAN, and nothing from zero or two', () => {
      expect(spiffeIdOf('URI:spiffe://example.org/tapa')).to.equal('spiffe://example.org/tapa');
      expect(spiffeIdOf('DNS:nsp, URI:spiffe://example.org/nsp')).to.equal('spiffe://example.org/nsp');
      expect(spiffeIdOf('URI:spiffe://a/x, URI:spiffe://a/y')).to.equal(undefined);
      expect(spiffeIdOf('URI:https://example.org')).to.equal(undefined);
      expect(spiffeIdOf(undefined)).to.equal(undefined);
    });

    it('checks that the SVID is what it claims: its ID, and a key that belongs to it', () => {
      const a = ca.issue('/a');
      const b = ca.issue('/b');
      expect(svidOf(a, ca).spiffeId).to.equal('spiffe://example.org/a');
      expect(() =>
        parseSvid({ spiffeId: 'spiffe://example.org/b', x509Svid: a.chainDer, x509SvidKey: a.keyDer, bundle: ca.bundleDer, hint: '' }),
      ).to.throw(/certificate says spiffe:\/\/example.org\/a/);
      expect(() =>
        parseSvid({ spiffeId: a.spiffeId, x509Svid: a.chainDer, x509SvidKey: b.keyDer, bundle: ca.bundleDer, hint: '' }),
      ).to.throw(/does not belong/);
      expect(() =>
        parseSvid({ spiffeId: a.spiffeId, x509Svid: a.chainDer, x509SvidKey: a.keyDer, bundle: Buffer.alloc(0), hint: '' }),
      ).to.throw(/no trust bundle/);
    });
  });

  describe('tokens', () => {
    const manager: TokenAudience = { spiffeId: 'spiffe://example.org/nsmgr', notAfterMs: Date.now() + 86_400_000 };

    it('an ES256 JWT with our SPIFFE ID, addressed to the NSM manager (aud, an array), expiring after the lifetime or with either certificate', async () => {
      const issued = ca.issue('/tapa');
      const svid = svidOf(issued, ca);
      const now = Date.now();
      const token = await nsmToken(svid, manager, 60_000, now);
      const claims = decodeJwt(token.token);
      expect(decodeProtectedHeader(token.token).alg).to.equal('ES256');
      expect(claims.sub).to.equal('spiffe://example.org/tapa');
      expect(claims.aud).to.deep.equal(['spiffe://example.org/nsmgr']);
      expect(claims.exp).to.equal(Math.floor((now + 60_000) / 1000));
      expect(token.expires.getTime()).to.equal(claims.exp! * 1000);
      const capped = await nsmToken(svid, manager, 365 * 86_400_000, now);
      expect(capped.expires.getTime()).to.be.at.most(svid.notAfterMs);
      const byPeer = await nsmToken(svid, { ...manager, notAfterMs: now + 5_000 }, 60_000, now);
      expect(byPeer.expires.getTime()).to.equal(Math.floor((now + 5_000) / 1000) * 1000);
      const own = signed(withOwnSegment(connection(), 'pod-a', randomUUID).connection, token).path!.pathSegments[0]!;
      expect(own).to.deep.include({ token: token.token, expires: token.expires.toISOString() });
    });

    it('NSM accepts a token signed by the certificate the client presented and addressed to it, and no other, and not once expired', async () => {
      const issued = ca.issue('/tapa');
      const svid = svidOf(issued, ca);
      const peer = { raw: new X509Certificate(issued.certPem).raw, subjectaltname: `URI:${issued.spiffeId}` };
      const now = Date.now();
      const token = (await nsmToken(svid, manager, 10_000, now)).token;
      expect(await tokenProblem(token, peer as never, manager.spiffeId, now)).to.equal(undefined);
      expect(await tokenProblem(token, peer as never, manager.spiffeId, now + 11_000)).to.equal('the token has expired');
      expect(await tokenProblem(token, peer as never, 'spiffe://example.org/other-nsmgr', now)).to.match(/not valid.*aud/);
      const unaddressed = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject(issued.spiffeId)
        .setExpirationTime(Math.floor((now + 10_000) / 1000))
        .sign(svid.key);
      expect(await tokenProblem(unaddressed, peer as never, manager.spiffeId, now)).to.match(/not valid.*aud/);
      const stranger = ca.issue('/stranger');
      const strangerPeer = { raw: new X509Certificate(stranger.certPem).raw, subjectaltname: `URI:${stranger.spiffeId}` };
      expect(await tokenProblem(token, strangerPeer as never, manager.spiffeId, now)).to.match(/not valid/);
      expect(await tokenProblem('', peer as never, manager.spiffeId, now)).to.equal('no token');
      expect(await tokenProblem(token, undefined, manager.spiffeId, now)).to.match(/no client certificate/);
    });
  });

  describe('the Workload API client', () => {
    const dir = scratchDir('tapa-spiffe-');

    it('waits for the agent, then has the SVID; pushes rotations to its listeners', async () => {
      const socket = join(dir, 'agent-1.sock');
      const lines: string[] = [];
      const source = new X509Source(`unix://${socket}`, { info: (_f, m) => void lines.push(m), warn: (_f, m) => void lines.push(m) });
      const first = source.first(50);
      // Nothing answers yet: the client says it is waiting, and keeps saying it.
      await eventually(() => expect(lines.filter((l) => /waiting for an X.509 SVID/.test(l)).length).to.be.at.least(2));
      const issued = ca.issue('/tapa');
      const api = await WorkloadApi.start(socket, issued, ca.bundleDer);
      try {
        const svid = await first;
        expect(svid.serial).to.equal(issued.serial);
        const rotated = new Promise<Svid>((resolve) => source.onRotation(resolve));
        const next = ca.issue('/tapa');
        api.rotate(next, ca.bundleDer);
        expect((await rotated).serial).to.equal(next.serial);
        expect(source.current()?.serial).to.equal(next.serial);
      } finally {
        source.close();
        api.stop();
      }
    });

    it('the agent refuses callers without the workload.spiffe.io header', async () => {
      const socket = join(dir, 'agent-2.sock');
      const api = await WorkloadApi.start(socket, ca.issue('/tapa'), ca.bundleDer);
      const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
      try {
        const code = await new Promise((resolve) =>
          serverStream(
            client,
            SpiffeWorkloadAPIService.fetchX509Svid,
            {},
            {},
            () => resolve('message'),
            (e) => resolve(e?.code),
          ),
        );
        expect(code).to.equal('INVALID_ARGUMENT');
      } finally {
        client.close();
        api.stop();
      }
    });

    it('an unusable SVID is logged and skipped; the stream stays open for the next', async () => {
      const socket = join(dir, 'agent-3.sock');
      const good = ca.issue('/tapa');
      const api = await WorkloadApi.start(socket, { ...good, keyDer: ca.issue('/x').keyDer }, ca.bundleDer);
      const warnings: string[] = [];
      const source = new X509Source(`unix://${socket}`, {
        info: () => {},
        warn: (f, m) => void warnings.push(`${m}: ${(f as { error?: string }).error}`),
      });
      try {
        const first = source.first(10_000);
        await eventually(() => expect(warnings.join('\n')).to.match(/unusable X.509 SVID.*does not belong/));
        api.rotate(good, ca.bundleDer);
        expect((await first).serial).to.equal(good.serial);
      } finally {
        source.close();
        api.stop();
      }
    });
  });
});
