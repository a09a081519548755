import { X509Certificate } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unary } from '../../src/grpc/calls.js';
import { parseDuration } from '../../src/grpc/duration.js';
import { createLogger } from '../../src/grpc/log.js';
import { signed, withOwnSegment } from '../../src/runner/nsm-path.js';
import { spiffeSecurity } from '../../src/grpc/security.js';
import { X509Source } from '../../src/grpc/spiffe/source.js';
import { channelCredentials } from '../../src/grpc/spiffe/tls.js';
import { nsmToken, type TokenAudience } from '../../src/grpc/spiffe/token.js';
import type { EmbeddedTls } from '../../src/embedded/embedded.js';
import { NetworkServiceService } from '../../src/wire/networkservice/networkservice.js';
import { TestCa, type IssuedSvid } from '../support/spiffe-ca.js';
import { WorkloadApi } from '../support/workload-api.js';
import { parseRecording, replayRecording } from '../../src/sim/explore/recording.js';
import { eventually, rig, stream, type Rig } from './world.js';
import { scratchDir } from '../support/scratch.js';

const REGISTER = '/nsp.v1.TargetRegistry/Register';

describe('sidecar with SPIFFE mTLS, against an NSP and NSM that require client certificates and tokens', function () {
  this.timeout(60_000);
  const dir = scratchDir('tapa-mtls-');
  let agents = 0;
  let ca: TestCa;
  let other: TestCa;
  let tls: EmbeddedTls;
  /** The embedded NSM manager's identity: our tokens are addressed to it. */
  let NSMGR: TokenAudience;

  before(() => {
    ca = TestCa.create();
    other = TestCa.create('other.org');
    const server = ca.issue('/meridio/nsp');
    tls = { trustPem: ca.bundlePem, certPem: server.certPem, keyPem: server.keyPem };
    NSMGR = { spiffeId: server.spiffeId, notAfterMs: Date.parse(new X509Certificate(server.certPem).validTo) };
  });
  after(() => {
    ca.dispose();
    other.dispose();
  });

  interface Secured {
    readonly r: Rig;
    readonly api: WorkloadApi;
    readonly source: X509Source;
    readonly lines: string[];
    stop(): Promise<void>;
  }

  /** A sidecar whose Workload API hands out `svid` with `bundleDer` as its trust bundle. */
  async function secured(svid: IssuedSvid, bundleDer: Buffer, env: Record<string, string> = {}): Promise<Secured> {
    const api = await WorkloadApi.start(join(dir, `agent-${++agents}.sock`), svid, bundleDer);
    const lines: string[] = [];
    const log = createLogger('DEBUG', { write: (line: string) => void lines.push(line) });
    const source = new X509Source(api.target, log);
    const security = spiffeSecurity(source, await source.first(), parseDuration(env['MERIDIO_MAX_TOKEN_LIFETIME'] ?? '24h'));
    const r = await rig(env, { tls, security, log });
    return {
      r,
      api,
      source,
      lines,
      stop: async () => {
        await r.stop();
        source.close();
        api.stop();
      },
    };
  }

  const enabled = (r: Rig) => r.world.nsp.allTargets().filter((t) => t.status === 'ENABLED');

  it('connects with its SVID: the target is ENABLED, and NSM saw our signed segment on every call', async () => {
    const svid = ca.issue('/meridio/tapa');
    const s = await secured(svid, ca.bundleDer);
    try {
      expect(await s.r.call('open', stream('stream-a1'))).to.equal(undefined);
      await eventually(() => expect(enabled(s.r)).to.have.length(1));
      expect(s.r.world.nsmCalls.length).to.be.at.least(1);
      for (const call of s.r.world.nsmCalls) expect(call.expires, 'token expiry of our segment').to.be.a('string');
      expect(s.r.world.clientSerials.map((c) => c.serial)).to.include(svid.serial);
      expect(s.r.world.clientSerials.every((c) => c.serial === svid.serial)).to.equal(true);
    } finally {
      await s.stop();
    }
  });

  it('survives a rotation: a call after it goes out with the new certificate, and the open stream stays ENABLED', async () => {
    const first = ca.issue('/meridio/tapa');
    const s = await secured(first, ca.bundleDer);
    try {
      await s.r.call('open', stream('stream-a1'));
      await eventually(() => expect(enabled(s.r)).to.have.length(1));
      const rotated = new Promise<void>((resolve) => s.source.onRotation(() => resolve()));
      const next = ca.issue('/meridio/tapa');
      s.api.rotate(next, ca.bundleDer);
      await rotated;
      const seenBefore = s.r.world.clientSerials.length;
      await s.r.call('open', stream('stream-a2'));
      await eventually(() => expect(enabled(s.r)).to.have.length(2));
      const registersAfter = s.r.world.clientSerials.slice(seenBefore).filter((c) => c.method === REGISTER);
      expect(registersAfter.length).to.be.at.least(1);
      expect(registersAfter.map((c) => c.serial)).to.deep.equal(registersAfter.map(() => next.serial));
      expect(
        enabled(s.r)
          .map((t) => t.stream?.name)
          .sort(),
      ).to.deep.equal(['stream-a1', 'stream-a2']);
    } finally {
      await s.stop();
    }
  });

  it('refused with a clear log line when its certificate comes from another CA; nothing is registered', async () => {
    // Our bundle trusts the servers, but the servers do not trust our issuer.
    const s = await secured(other.issue('/meridio/tapa'), ca.bundleDer);
    try {
      await s.r.call('open', stream('stream-a1'));
      await eventually(() => expect(s.lines.join('')).to.match(/refused our certificate \(spiffe:\/\/other.org\/meridio\/tapa/));
      const line = JSON.parse(s.lines.find((l) => l.includes('refused our certificate'))!) as { severity: string; message: string };
      expect(line.severity).to.equal('warning');
      expect(line.message).to.match(/^cannot connect to .* with mTLS: /);
      expect(s.r.world.nsp.allTargets()).to.deep.equal([]);
    } finally {
      await s.stop();
    }
  });

  it('refreshes the NSM connection before its token expires (MERIDIO_MAX_TOKEN_LIFETIME=3s)', async () => {
    const s = await secured(ca.issue('/meridio/tapa'), ca.bundleDer, { MERIDIO_MAX_TOKEN_LIFETIME: '3s' });
    try {
      await s.r.call('open', stream('stream-a1'));
      const id = s.r.connectionId('load-balancer-a1');
      const requests = () => s.r.world.nsmCalls.filter((c) => c.method === 'request' && c.connectionId === id);
      // Beyond the first token's whole life, every token was replaced before it ran out.
      await eventually(() => {
        const all = requests();
        expect(all.length).to.be.at.least(2);
        expect(all.at(-1)!.atMs).to.be.above(Date.parse(all[0]!.expires!));
      }, 20_000);
      const seen = requests();
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i]!.atMs, `request ${i} before the token of request ${i - 1} expired`).to.be.below(Date.parse(seen[i - 1]!.expires!));
      }
      expect(enabled(s.r)).to.have.length(1);
    } finally {
      await s.stop();
    }
  });

  it('a flight recording holds no key, certificate or token: they are redacted, and it still replays', async () => {
    const svid = ca.issue('/meridio/tapa');
    const s = await secured(svid, ca.bundleDer, { MERIDIO_RECORD_EVENTS: '4096', MERIDIO_RECORD_DIR: join(dir, 'recordings') });
    let text: string;
    let tokens: string[];
    try {
      await s.r.call('open', stream('stream-a1'));
      await eventually(() => expect(enabled(s.r)).to.have.length(1));
      tokens = s.r.world.nsm.connections().flatMap((c) => c.path?.pathSegments.map((p) => p.token) ?? []);
      text = readFileSync(s.r.sidecar.dump('on demand')!, 'utf8');
    } finally {
      await s.stop();
    }
    expect(
      tokens.filter((t) => t !== ''),
      'NSM holds our signed tokens',
    ).to.not.have.length(0);
    const keyBody = (pem: string): string[] => pem.split('\n').filter((line) => line.length > 40);
    const secrets = [
      ...tokens.filter((t) => t !== ''),
      ...keyBody(svid.keyPem),
      ...keyBody(svid.certPem),
      ...keyBody(readFileSync(join(ca['dir'], 'ca.key'), 'utf8')),
    ];
    for (const secret of secrets) expect(text.includes(secret), `the recording holds ${secret.slice(0, 20)}…`).to.equal(false);
    expect(text).to.not.match(/eyJ[\w-]+\.[\w-]+\./);
    expect(replayRecording(parseRecording(JSON.parse(text))).kind).to.equal('passed');
  });

  it('heals: NSM reports the connection DOWN, and the sidecar re-requests it (with a fresh token)', async () => {
    const s = await secured(ca.issue('/meridio/tapa'), ca.bundleDer);
    try {
      await s.r.call('open', stream('stream-a1'));
      await eventually(() => expect(enabled(s.r)).to.have.length(1));
      const id = s.r.connectionId('load-balancer-a1');
      const before = s.r.world.nsmCalls.length;
      s.r.world.nsm.down(id);
      await eventually(() => {
        expect(s.r.world.nsmCalls.slice(before).some((c) => c.method === 'request' && c.connectionId === id)).to.equal(true);
        expect(enabled(s.r)).to.have.length(1);
      });
    } finally {
      await s.stop();
    }
  });

  it('NSM refuses a request whose token has expired', async () => {
    const s = await secured(ca.issue('/meridio/tapa'), ca.bundleDer);
    const svid = s.source.current()!;
    const client = new grpc.Client(s.r.world.nsmAddress, channelCredentials(svid));
    try {
      const stale = await nsmToken(svid, NSMGR, 1_000, Date.now() - 60_000);
      const connection = signed(
        withOwnSegment(
          {
            id: 'c-1',
            networkService: 'proxy.load-balancer-a1.trench-a.default',
            labels: {},
            networkServiceEndpointName: '',
            payload: 'ETHERNET',
            state: 'UP',
          },
          'target-a',
          randomUUID,
        ).connection,
        stale,
      );
      const headers = { 'nsm-client-token': stale.token, 'nsm-client-token-expires': stale.expires.toISOString() };
      const result = await new Promise<{ ok: boolean; error?: { code: string; message: string } }>((resolve) =>
        unary(client, NetworkServiceService.request, { connection, mechanismPreferences: [] }, 5_000, resolve, headers),
      );
      expect(result.ok).to.equal(false);
      expect(result.error).to.deep.equal({ code: 'PERMISSION_DENIED', message: 'path token: the token has expired' });
    } finally {
      client.close();
      await s.stop();
    }
  });
});
