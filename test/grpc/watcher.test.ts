import { expect } from 'chai';
import fc from 'fast-check';
import { connect, constants, type ClientHttp2Stream } from 'node:http2';
import { connect as connectUnix } from 'node:net';
import type { StreamStatus } from '../../src/core/wire.js';
import { latestOnly } from '../../src/grpc/watcher.js';
import { StreamResponse } from '../../src/wire/ambassador/v1/tap.js';
import { eventually, rig, stream } from './world.js';

/** A snapshot named by a number, for the property. */
const snapshot = (n: number): StreamStatus[] => [{ status: 'OPEN', stream: { name: `s${n}` } }];
const named = (m: { streamStatus: StreamStatus[] }): string => m.streamStatus[0]?.stream?.name ?? '';

describe('grpc: a Watch subscriber that does not read', function () {
  this.timeout(120_000);

  it('gets every snapshot while it reads, only the newest once it stops, and never a write while its stream is full', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('drain' as const), fc.boolean()), { maxLength: 100 }), (steps) => {
        let drain = (): void => {};
        let full = false;
        let accepts: boolean[] = [];
        const written: string[] = [];
        const publish = latestOnly({
          write: (m) => {
            expect(full, 'written while full').to.equal(false);
            written.push(named(m));
            full = !(accepts.shift() ?? true);
            return !full;
          },
          on: (_event, listener) => (drain = listener),
        });
        let published = 0;
        for (const s of steps) {
          if (s === 'drain') {
            if (!full) continue;
            full = false;
            drain();
          } else {
            accepts = [s];
            publish(snapshot(++published));
          }
          // Once the stream takes writes again, the last thing written is the newest snapshot.
          if (!full && published > 0) expect(written.at(-1)).to.equal(`s${published}`);
        }
        // Sent in order, none twice.
        const order = written.map((w) => Number(w.slice(1)));
        expect(order).to.deep.equal([...new Set(order)].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('over a real socket: under churn it is sent far fewer snapshots than there were, and once it reads it has the current state', async () => {
    const r = await rig();
    const session = connect('http://localhost', { createConnection: () => connectUnix(r.socket) });
    let watch: ClientHttp2Stream | undefined;
    try {
      watch = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: '/ambassador.v1.Tap/Watch',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      // A Watch of everything: an empty Stream message in one gRPC frame. Then no reading.
      watch.end(Buffer.from([0, 0, 0, 0, 0]));
      watch.pause();
      // stream-a2 stays open throughout, so that the conduit stays connected while stream-a1 churns.
      expect(await r.call('open', stream('stream-a2'))).to.equal(undefined);
      const enabled = (): (string | undefined)[] =>
        r.world.nsp
          .allTargets()
          .filter((t) => t.status === 'ENABLED')
          .map((t) => t.stream?.name);
      await eventually(() => expect(enabled()).to.deep.equal(['stream-a2']));
      const cycles = 1_500;
      for (let i = 0; i < cycles; i++) {
        expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
        expect(await r.call('close', stream('stream-a1'))).to.equal(undefined);
      }
      // A state the churn never showed, so that its snapshot can only be the last one.
      expect(await r.call('open', stream('stream-b1', 'load-balancer-b1'))).to.equal(undefined);
      await eventually(() => expect(enabled().sort()).to.deep.equal(['stream-a2', 'stream-b1']));
      // Now it reads: everything buffered, then the current state, and nothing older after it.
      const received: string[] = [];
      let buffered = Buffer.alloc(0);
      watch.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
          const length = buffered.readUInt32BE(1);
          const message = StreamResponse.decode(buffered.subarray(5, 5 + length));
          received.push(JSON.stringify(message.streamStatus.map((s) => [s.stream?.name, s.status])));
          buffered = buffered.subarray(5 + length);
        }
      });
      watch.resume();
      const current = JSON.stringify([
        ['stream-a2', 'OPEN'],
        ['stream-b1', 'OPEN'],
      ]);
      await eventually(() => expect(received.at(-1)).to.equal(current));
      // Every open and close changed what Watch shows, at least twice per cycle.
      expect(received.length, 'snapshots sent').to.be.below(cycles);
    } finally {
      watch?.close();
      session.close();
      await r.stop();
    }
  });
});
