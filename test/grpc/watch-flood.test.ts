import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { constants } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { serverStream } from '../../src/grpc/calls.js';
import { RETIRE_AFTER_RESETS } from '../../src/grpc/server-options.js';
import type { CallError } from '../../src/core/index.js';
import { TapService, type Stream, type StreamResponse } from '../../src/wire/ambassador/v1/tap.js';
import { eventually, rig, stream, type Rig } from './world.js';

const ANY: Stream = { name: '', conduit: { name: '', trench: { name: '' } } };

/** One Watch: resolves with its first message (then cancels it), or with how it ended without one. */
function firstStatus(client: grpc.Client): Promise<StreamResponse | CallError | undefined> {
  return new Promise((resolve) => {
    const watch = serverStream(
      client,
      TapService.watch,
      ANY,
      { waitForReady: false },
      (response) => {
        watch.cancel();
        resolve(response);
      },
      resolve,
    );
  });
}

/** Until the channel leaves READY: the server has retired its connection (GOAWAY), or it broke. */
function leavesReady(client: grpc.Client): Promise<grpc.connectivityState> {
  const channel = client.getChannel();
  return new Promise((resolve, reject) =>
    channel.watchConnectivityState(grpc.connectivityState.READY, Date.now() + 15_000, (err) =>
      err ? reject(err) : resolve(channel.getConnectivityState(false)),
    ),
  );
}

/** An HTTP/2 frame: 9-byte header (length, type, flags, stream id), then the payload. */
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(stream, 5);
  return Buffer.concat([header, payload]);
}

/** An HPACK string literal, not Huffman-coded (all values here are under 127 bytes). */
function literal(value: string): Buffer {
  return Buffer.concat([Buffer.from([value.length]), Buffer.from(value)]);
}

/**
 * A flood, written as raw bytes so that the whole burst reaches the server at once, whatever
 * this machine's speed: the preface, then `count` Watch streams each opened (HEADERS) and at
 * once reset (RST_STREAM CANCEL). Resolves with the error code of the server's GOAWAY that
 * ends the connection, or -1 when it closes without one.
 */
function resetBurst(socket: string, count: number): Promise<number> {
  // :method POST, :scheme http (static table), :path and te as literals without indexing.
  const block = Buffer.concat([
    Buffer.from([0x83, 0x86, 0x04]),
    literal(TapService.watch.path),
    Buffer.from([0x00]),
    literal('te'),
    literal('trailers'),
  ]);
  const frames = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(0x4, 0, 0, Buffer.alloc(0))];
  for (let i = 0; i < count; i++) {
    const id = 1 + 2 * i;
    frames.push(frame(0x1, 0x4, id, block), frame(0x3, 0, id, Buffer.from([0, 0, 0, constants.NGHTTP2_CANCEL])));
  }
  return new Promise((resolve) => {
    const connection = netConnect(socket, () => connection.write(Buffer.concat(frames)));
    let received = Buffer.alloc(0);
    const done = (code: number): void => {
      connection.destroy();
      resolve(code);
    };
    connection.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 9) {
        const length = received.readUIntBE(0, 3);
        if (received.length < 9 + length) return;
        const type = received.readUInt8(3);
        // Only the GOAWAY that ends the connection counts: a graceful one (NO_ERROR) may come first.
        if (type === 0x7 && received.readUInt32BE(13) !== constants.NGHTTP2_NO_ERROR) return done(received.readUInt32BE(13));
        received = received.subarray(9 + length);
      }
    });
    connection.on('error', () => done(-1));
    connection.on('close', () => done(-1));
  });
}

describe('Tap Watch: clients that watch and cancel again and again', function () {
  this.timeout(120_000);
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(() => r.stop());

  it('3,000 Watches opened and cancelled one after another at a steady pace: every one gets its status, none fails', async () => {
    // At most one Watch per 3 ms: 333 cancels a second, ten times Node's 33 a second; 3,000
    // of them are three times the reset budget of one connection.
    const paceMs = 3;
    const client = new grpc.Client(`unix://${r.socket}`, grpc.credentials.createInsecure());
    const failures: CallError[] = [];
    let served = 0;
    let last: StreamResponse | undefined;
    const start = Date.now();
    try {
      for (let i = 0; i < 3_000; i++) {
        const due = start + i * paceMs - Date.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        const outcome = await firstStatus(client);
        if (outcome === undefined || 'code' in outcome) failures.push(outcome ?? { code: 'UNKNOWN', message: 'ended without a status' });
        else {
          served += 1;
          last = outcome;
        }
      }
    } finally {
      client.close();
    }
    expect(failures.slice(0, 3)).to.deep.equal([]);
    expect(served).to.equal(3_000);
    expect(last?.streamStatus).to.be.an('array');
  });

  it('a long Watch outlives the retirement of its connection by the short Watches cancelled beside it, and still gets every update', async () => {
    const client = new grpc.Client(`unix://${r.socket}`, grpc.credentials.createInsecure());
    const seen: StreamResponse[] = [];
    let ended: CallError | 'clean' | undefined;
    const watch = serverStream(
      client,
      TapService.watch,
      ANY,
      {},
      (response) => seen.push(response),
      (error) => (ended = error ?? 'clean'),
    );
    try {
      await eventually(() => expect(seen).to.have.length.above(0));
      // Short Watches beside it, on the same connection, until the server retires that connection.
      const retired = leavesReady(client);
      for (let i = 0; i < RETIRE_AFTER_RESETS; i++) expect(await firstStatus(client)).to.have.property('streamStatus');
      expect(await retired).to.not.equal(grpc.connectivityState.TRANSIENT_FAILURE);
      expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
      await eventually(() => expect(seen.flatMap((s) => s.streamStatus.map((st) => st.stream?.name))).to.include('stream-a1'));
      expect(ended).to.equal(undefined);
    } finally {
      watch.cancel();
      client.close();
      await r.call('close', stream('stream-a1'));
    }
  });

  it('an abusive burst of 1,500 resets on one connection is still cut with GOAWAY INTERNAL_ERROR, and others are served', async () => {
    expect(await resetBurst(r.socket, 1_500)).to.equal(constants.NGHTTP2_INTERNAL_ERROR);
    const client = new grpc.Client(`unix://${r.socket}`, grpc.credentials.createInsecure());
    try {
      expect(await firstStatus(client)).to.have.property('streamStatus');
    } finally {
      client.close();
    }
  });
});
