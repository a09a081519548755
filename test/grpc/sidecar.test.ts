import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { parseIdentifier } from '../../src/core/index.js';
import { unary } from '../../src/grpc/calls.js';
import { TapService, Stream } from '../../src/wire/ambassador/v1/tap.js';
import type { StreamResponse } from '../../src/wire/ambassador/v1/tap.js';
import { service as healthService } from 'grpc-health-check';
import { eventually, rig, stream, type Rig } from './world.js';

describe('sidecar over real gRPC, against the embedded NSP and NSM', function () {
  this.timeout(60_000);
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.stop();
  });

  const enabled = () => r.world.nsp.allTargets().filter((t) => t.status === 'ENABLED');

  it('Open -> Watch shows OPEN and the NSP holds an ENABLED target under the local IP; Close -> gone, and the NSM connection closed', async () => {
    let last: StreamResponse | undefined;
    const w = r.watch(stream(''), (m) => {
      last = m;
    });
    expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
    await eventually(() => expect(last?.streamStatus.map((s) => s.status)).to.deep.equal(['OPEN']));
    const id = r.connectionId('load-balancer-a1');
    const local = r.world.nsm.addressesOf(id);
    expect(enabled()).to.have.length(1);
    const [target] = enabled();
    expect(target!.ips).to.deep.equal(local);
    expect(parseIdentifier(target!)).to.be.within(1, 100);
    expect(await r.call('close', stream('stream-a1'))).to.equal(undefined);
    await eventually(() => {
      expect(r.world.nsp.allTargets()).to.deep.equal([]);
      expect(r.world.nsm.connection(id)).to.equal(undefined);
      expect(last?.streamStatus).to.deep.equal([]);
    });
    w.cancel();
  });

  it('an IP change pushed by the NSM monitor moves the target to the new IP', async () => {
    await r.call('open', stream('stream-a1'));
    await eventually(() => expect(enabled()).to.have.length(1));
    const id = r.connectionId('load-balancer-a1');
    const before = enabled()[0]!.ips;
    r.world.nsm.heal(id);
    await eventually(() => {
      const now = enabled();
      expect(now).to.have.length(1);
      expect(now[0]!.ips).to.not.deep.equal(before);
      expect(now[0]!.ips).to.deep.equal(r.world.nsm.addressesOf(id).slice(-2));
    });
  });

  for (const mode of ['reload', 'wipe'] as const) {
    it(`the NSP restarted (${mode}) mid-run: the targets are back`, async () => {
      await r.call('open', stream('stream-a1'));
      await r.call('open', stream('stream-b1', 'load-balancer-b1'));
      await eventually(() => expect(enabled()).to.have.length(2));
      await r.world.restartNsp(mode);
      await eventually(() =>
        expect(
          enabled()
            .map((t) => t.stream?.name)
            .sort(),
        ).to.deep.equal(['stream-a1', 'stream-b1']),
      );
    });
  }

  const bad: [string, Stream | Uint8Array, grpc.status][] = [
    ['a nil conduit', { name: 's' }, grpc.status.INVALID_ARGUMENT],
    ['a nil trench', { name: 's', conduit: { name: 'c' } }, grpc.status.INVALID_ARGUMENT],
    ['an empty stream name', stream(''), grpc.status.INVALID_ARGUMENT],
    ['an empty conduit name', stream('s', ''), grpc.status.INVALID_ARGUMENT],
    ['an empty trench name', stream('s', 'c', ''), grpc.status.INVALID_ARGUMENT],
    ['a second trench', stream('s', 'c', 'trench-b'), grpc.status.FAILED_PRECONDITION],
    ['a 1 MiB name', stream('x'.repeat(1 << 20)), grpc.status.INVALID_ARGUMENT],
    // field 1 (name), 2 bytes that are not UTF-8, then a valid conduit and trench
    [
      'a name that is not UTF-8',
      Uint8Array.from([0x0a, 0x02, 0xc3, 0x28, 0x12, 0x07, 0x0a, 0x01, 0x63, 0x12, 0x02, 0x0a, 0x00]),
      grpc.status.INVALID_ARGUMENT,
    ],
  ];
  for (const [what, request, code] of bad) {
    it(`Open with ${what}: ${grpc.status[code]}, the sidecar stays up, no target is left`, async () => {
      await r.call('open', stream('stream-a1')); // the trench in use
      await eventually(() => expect(enabled()).to.have.length(1));
      const raw = request instanceof Uint8Array;
      const method = raw ? { ...TapService.open, requestSerialize: (b: Uint8Array) => Buffer.from(b) } : TapService.open;
      const client = new grpc.Client(`unix://${r.socket}`, grpc.credentials.createInsecure());
      const error = await new Promise((resolve) =>
        unary(client, method as typeof TapService.open, request as Stream, 5_000, (res) => resolve(res.ok ? undefined : res.error)),
      );
      client.close();
      expect(error).to.include({ code: grpc.status[code] });
      expect(await r.call('close', stream('stream-a1'))).to.equal(undefined);
      await eventually(() => expect(r.world.nsp.allTargets()).to.deep.equal([]));
    });
  }

  it('serves grpc.health.v1.Health on the Tap socket: SERVING while the event loop is responsive', async () => {
    const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
    const client = new Health(`unix://${r.socket}`, grpc.credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void): void;
      close(): void;
    };
    const res = await new Promise<{ status: string }>((resolve, reject) =>
      client.check({ service: '' }, (err, r2) => (err ? reject(err) : resolve(r2))),
    );
    client.close();
    expect(res.status).to.equal('SERVING');
  });

  it('500 random Tap messages: every one answered, the process alive, nothing left behind once all are closed', async () => {
    const name = fc.oneof(
      fc.constantFrom('stream-a1', 'stream-a2', 'stream-b1', 'load-balancer-a1', 'trench-a', ''),
      fc.string({ maxLength: 300 }),
    );
    const message = fc.record({
      name,
      conduit: fc.option(fc.record({ name, trench: fc.option(fc.record({ name }), { nil: undefined }) }), { nil: undefined }),
    });
    const calls = fc.sample(fc.tuple(fc.constantFrom('open' as const, 'close' as const), message), { numRuns: 500, seed: 42 });
    const opened = new Set<string>();
    for (const [method, m] of calls) {
      const msg = Stream.fromPartial(m);
      const error = await r.call(method, msg);
      if (method === 'open' && error === undefined) opened.add(JSON.stringify(msg));
    }
    for (const m of opened) expect(await r.call('close', JSON.parse(m) as Stream)).to.equal(undefined);
    await eventually(() => {
      expect(r.world.nsp.allTargets()).to.deep.equal([]);
      expect(r.world.nsm.connections()).to.deep.equal([]);
    }, 30_000);
  });
});
