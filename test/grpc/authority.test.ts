import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync } from 'node:fs';
import http2 from 'node:http2';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { unary } from '../../src/grpc/calls.js';
import { loadConfig } from '../../src/grpc/config.js';
import { HealthCheck } from '../../src/grpc/health.js';
import { startSidecar, type Sidecar } from '../../src/grpc/sidecar.js';
import { TapService, type StreamResponse } from '../../src/wire/ambassador/v1/tap.js';
import { frame, RawHttp2, type Answer } from '../support/raw-http2.js';
import { stream } from './world.js';

/** What clients that dial the socket by its path send: the path itself, which RFC 3986 does not allow as an authority. */
const requestTo = (socket: string, path: string): Record<string, string> => ({
  ':method': 'POST',
  ':scheme': 'http',
  ':path': path,
  ':authority': socket,
  'content-type': 'application/grpc',
  te: 'trailers',
});

const HEALTH_PATH = '/grpc.health.v1.Health/Check';
const healthRequest = (): Buffer => HealthCheck.requestSerialize({ service: '' });

/** The health answer inside a gRPC answer (5-byte message prefix), or what ended the call instead. */
function healthOf(answer: Answer): string {
  if (answer.kind !== 'answered') return answer.kind;
  if (answer.fields['grpc-status'] !== '0') return `grpc-status ${answer.fields['grpc-status']}`;
  return HealthCheck.responseDeserialize(answer.data.subarray(5)).status;
}

/** A Watch with Node's own HTTP/2 client and `:authority` set by hand: its first answer, or the stream's error. */
function watchWithNode(socket: string, options: http2.ClientSessionOptions = {}): Promise<StreamResponse | string> {
  const session = http2.connect('http://localhost', { ...options, createConnection: () => connect({ path: socket }) });
  return new Promise<StreamResponse | string>((resolve) => {
    const request = session.request(requestTo(socket, TapService.watch.path));
    const message = TapService.watch.requestSerialize(stream('s1'));
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(message.length, 1);
    request.end(Buffer.concat([prefix, message]));
    let received = Buffer.alloc(0);
    request.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const length = received.length >= 5 ? received.readUInt32BE(1) : Infinity;
      if (received.length >= 5 + length) resolve(TapService.watch.responseDeserialize(received.subarray(5, 5 + length)));
    });
    request.on('error', (err: Error) => resolve(err.message));
    request.on('close', () => resolve(`closed with code ${request.rstCode}`));
  }).finally(() => session.destroy());
}

describe('the Tap socket serves clients whose :authority is the socket path', function () {
  this.timeout(30_000);
  let sidecar: Sidecar;
  let socket: string;

  before(async () => {
    socket = join(mkdtempSync(join(tmpdir(), 'tapa-authority-')), 'tap.sock');
    const config = loadConfig({
      MERIDIO_SOCKET: socket,
      MERIDIO_HEALTH_SOCKET: '',
      MERIDIO_NSP_ADDRESS: '127.0.0.1:1',
      MERIDIO_NSM_SOCKET: `unix://${join(tmpdir(), 'tapa-no-nsm.sock')}`,
    });
    sidecar = await startSidecar(config, pino({ level: 'silent' }));
  });

  after(async () => {
    await sidecar.shutdown();
  });

  it('a Tap Watch from Node’s HTTP/2 client with the path as :authority gets its first answer', async () => {
    const answer = await watchWithNode(socket);
    expect(answer).to.deep.equal({ streamStatus: [] });
  });

  it('an ordinary grpc-js call (`localhost`) is served', async () => {
    const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
    const status = await new Promise((resolve) =>
      unary(client, HealthCheck, { service: '' }, 5_000, (r) => resolve(r.ok ? r.value.status : r.error.code)),
    );
    client.close();
    expect(status).to.equal('SERVING');
  });

  it('grpc-js with `grpc.default_authority` set to the path is served', async () => {
    const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': socket });
    const status = await new Promise((resolve) =>
      unary(client, HealthCheck, { service: '' }, 5_000, (r) => resolve(r.ok ? r.value.status : r.error.code)),
    );
    client.close();
    expect(status).to.equal('SERVING');
  });

  it('requests whose header blocks refer to the dynamic table entries earlier ones added are all served', async () => {
    const client = await RawHttp2.open(socket);
    const answers: string[] = [];
    // The first request adds its fields to the client's table; the others are only references to it.
    for (let i = 0; i < 3; i++) answers.push(healthOf(await client.call(requestTo(socket, HEALTH_PATH), healthRequest())));
    client.close();
    expect(answers).to.deep.equal(['SERVING', 'SERVING', 'SERVING']);
  });

  it('padded HEADERS with a priority section, and a header block split over CONTINUATION frames, are served', async () => {
    const client = await RawHttp2.open(socket);
    const padded = await client.call(requestTo(socket, HEALTH_PATH), healthRequest(), { padding: 17, priority: true });
    const continued = await client.call({ ...requestTo(socket, HEALTH_PATH), 'x-big': 'v'.repeat(40_000) }, healthRequest(), {
      fragments: [3, 16_000, 1, 16_000],
    });
    client.close();
    expect([healthOf(padded), healthOf(continued)]).to.deep.equal(['SERVING', 'SERVING']);
  });

  it('a header block that is not HPACK, or above the header list limit, closes its connection and no other', async () => {
    const ongoing = await RawHttp2.open(socket);
    for (const block of [Buffer.from([0xff, 0xff, 0xff]), Buffer.alloc(70_000)]) {
      const bad = await RawHttp2.open(socket);
      const frames = [];
      for (let at = 0; at < block.length; at += 16_384) {
        const last = at + 16_384 >= block.length;
        frames.push(frame(at === 0 ? 1 : 9, last ? 0x4 : 0, 1, block.subarray(at, at + 16_384)));
      }
      bad.socket.write(Buffer.concat(frames));
      await bad.closed;
      expect(healthOf(await ongoing.call(requestTo(socket, HEALTH_PATH), healthRequest()))).to.equal('SERVING');
    }
    ongoing.close();
  });
});
