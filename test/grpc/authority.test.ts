import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { rmSync } from 'node:fs';
import http2 from 'node:http2';
import { connect, createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { serveConnection } from '../../src/grpc/accepted-connection.js';
import { unary } from '../../src/grpc/calls.js';
import { loadConfig } from '../../src/grpc/config.js';
import { FrontedConnection } from '../../src/grpc/fronted-connection.js';
import { HealthCheck } from '../../src/grpc/health.js';
import { serveOn } from '../../src/grpc/unix-socket.js';
import { startSidecar, type Sidecar } from '../../src/grpc/sidecar.js';
import { TapService } from '../../src/wire/ambassador/v1/tap.js';
import { frame, RawHttp2, type Answer } from '../support/raw-http2.js';
import { stream } from './world.js';
import { scratchDir } from '../support/scratch.js';

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

/** A call with Node's own HTTP/2 client and `:authority` set by hand: the first message of its answer, or how its stream ended. */
function callWithNode(socket: string, authority: string, path: string, message: Buffer): Promise<Buffer | string> {
  const session = http2.connect('http://localhost', { createConnection: () => connect({ path: socket }) });
  return new Promise<Buffer | string>((resolve) => {
    const request = session.request(requestTo(authority, path));
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(message.length, 1);
    request.end(Buffer.concat([prefix, message]));
    let received = Buffer.alloc(0);
    request.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const length = received.length >= 5 ? received.readUInt32BE(1) : Infinity;
      if (received.length >= 5 + length) resolve(received.subarray(5, 5 + length));
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
    socket = join(scratchDir('tapa-authority-'), 'tap.sock');
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
    const answer = await callWithNode(socket, socket, TapService.watch.path, TapService.watch.requestSerialize(stream('s1')));
    expect(typeof answer === 'string' ? answer : TapService.watch.responseDeserialize(answer)).to.deep.equal({ streamStatus: [] });
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

/** grpc-js' health Check over `client`, as its status name or the error code. */
function check(client: grpc.Client): Promise<string | number> {
  return new Promise((resolve) => unary(client, HealthCheck, { service: '' }, 5_000, (r) => resolve(r.ok ? r.value.status : r.error.code)));
}

describe('a connection goes to grpc-js as the socket itself unless its client sends a path as :authority', function () {
  this.timeout(30_000);
  let socket: string;
  let listener: Server;
  let server: grpc.Server;
  /** What grpc-js was given for each connection, in order. */
  let given: string[];
  const refused: string[] = [];

  before(async () => {
    socket = join(scratchDir('tapa-handover-'), 'tap.sock');
    server = new grpc.Server();
    new HealthImplementation({ '': 'SERVING' }).addToServer(server);
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const events = { rewritten: () => {}, refused: (reason: string) => void refused.push(reason) };
    listener = createServer((connection) =>
      serveConnection(connection, events, (c) => {
        given.push(c instanceof FrontedConnection ? 'front' : c instanceof Socket ? 'socket' : 'other');
        injector.injectConnection(c);
      }),
    );
    await new Promise<void>((resolve) => listener.listen(socket, resolve));
  });

  beforeEach(() => {
    given = [];
  });

  after(() => {
    listener.close();
    server.forceShutdown();
    rmSync(dirname(socket), { recursive: true, force: true });
  });

  it('an ordinary grpc-js client: one socket, natively, for calls one after another and many at once', async () => {
    const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
    const statuses = [];
    // All but the first reach the server after the hand-over: its session reads them from the socket itself.
    for (let i = 0; i < 20; i++) statuses.push(await check(client));
    statuses.push(...(await Promise.all(Array.from({ length: 200 }, () => check(client)))));
    client.close();
    expect(new Set(statuses)).to.deep.equal(new Set(['SERVING']));
    expect(given).to.deep.equal(['socket']);
  });

  it('grpc-js with the path as authority: through the front', async () => {
    const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': socket });
    const status = await check(client);
    client.close();
    expect([status, given]).to.deep.equal(['SERVING', ['front']]);
  });

  it('Node’s HTTP/2 client, which sends its request before it reads the server’s SETTINGS: natively', async () => {
    const answer = await callWithNode(socket, 'localhost', HEALTH_PATH, healthRequest());
    expect(typeof answer === 'string' ? answer : HealthCheck.responseDeserialize(answer)).to.deep.equal({ status: 'SERVING' });
    expect(given).to.deep.equal(['socket']);
  });

  for (const awaitPreface of [true, false])
    it(`a client that ${awaitPreface ? 'waits for the server’s preface' : 'sends its request before reading the server’s SETTINGS'}: natively with \`localhost\`, through the front with the path`, async () => {
      const answers = [];
      for (const authority of ['localhost', socket]) {
        const client = await RawHttp2.open(socket, { awaitPreface });
        for (let i = 0; i < 3; i++) answers.push(healthOf(await client.call(requestTo(authority, HEALTH_PATH), healthRequest())));
        client.close();
      }
      expect(answers).to.deep.equal(Array(6).fill('SERVING'));
      expect(given).to.deep.equal(['socket', 'front']);
    });

  it('a client whose preface is not HTTP/2’s is closed and reported', async () => {
    const client = connect({ path: socket });
    client.on('error', () => {}).resume();
    client.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((resolve) => client.on('close', resolve));
    expect(refused).to.deep.equal(['bytes that do not begin with the HTTP/2 client preface']);
    expect(given).to.deep.equal([]);
  });

  it('a client that connects and sends nothing is closed when the socket is, although grpc-js never had it', async () => {
    const path = join(dirname(socket), 'quiet.sock');
    const served = await serveOn(server, { variable: 'MERIDIO_SOCKET', path });
    const client = await RawHttp2.open(path, { awaitPreface: true });
    served.close();
    await client.closed;
  });
});
