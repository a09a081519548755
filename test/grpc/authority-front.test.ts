import { expect } from 'chai';
import fc from 'fast-check';
import hpack from 'hpack.js';
import { asAuthority, AuthorityFront, MalformedRequest } from '../../src/grpc/authority-front.js';
import { frame } from '../support/raw-http2.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const SETTINGS = frame(0x4, 0, 0, Buffer.alloc(6));
const WINDOW_UPDATE = frame(0x8, 0, 0, Buffer.from([0, 1, 0, 0]));
const ACK = frame(0x4, 0x1, 0, Buffer.alloc(0));
const data = (stream: number, bytes: number): Buffer => frame(0x0, 0x1, stream, Buffer.alloc(bytes, 7));

type Fields = [string, string][];

const request = (authority: string, extra: Fields = []): Fields => [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/ambassador.v1.Tap/Watch'],
  [':authority', authority],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
  ...extra,
];

/** A client's header blocks, encoded as clients do: indexed, so that later blocks refer to what earlier ones added. */
function blocks(lists: Fields[]): Buffer[] {
  const encoder = hpack.compressor.create({ table: { maxSize: 4_096 } });
  return lists.map((fields) => {
    encoder.write(fields.map(([name, value]) => ({ name, value, neverIndex: name === 'authorization' })));
    return encoder.read() ?? Buffer.alloc(0);
  });
}

interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

function frames(bytes: Buffer): Frame[] {
  const out: Frame[] = [];
  for (let at = PREFACE.length; at < bytes.length;) {
    const length = bytes.readUIntBE(at, 3);
    out.push({
      type: bytes[at + 3]!,
      flags: bytes[at + 4]!,
      stream: bytes.readUInt32BE(at + 5),
      payload: bytes.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return out;
}

/** `bytes` fed to a front in chunks cut at `cuts`; what the server reads, and each chunk with what came out for it. */
function through(bytes: Buffer, cuts: readonly number[] = []): { out: Buffer; rewritten: [string, string][] } {
  const rewritten: [string, string][] = [];
  const front = new AuthorityFront((from, to) => rewritten.push([from, to]));
  const edges = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b);
  const out: Buffer[] = [];
  for (let i = 1; i < edges.length; i++) out.push(...front.feed(bytes.subarray(edges[i - 1], edges[i])));
  return { out: Buffer.concat(out), rewritten };
}

/** Each header block of `bytes` decoded on its own: it must refer to no dynamic table entry. */
function standalone(bytes: Buffer): { stream: number; flags: number; fields: Fields }[] {
  const out: { stream: number; flags: number; fields: Fields }[] = [];
  let pending: Buffer[] = [];
  let flags = 0;
  for (const f of frames(bytes)) {
    if (f.type !== 0x1 && f.type !== 0x9) continue;
    expect(f.payload.length).to.be.at.most(16_384);
    if (f.type === 0x1) {
      flags = f.flags;
      expect(f.flags & 0x8, 'padding is stripped').to.equal(0);
    }
    pending.push(f.type === 0x1 && (f.flags & 0x20) !== 0 ? f.payload.subarray(5) : f.payload);
    if ((f.flags & 0x4) === 0) continue;
    const decoder = hpack.decompressor.create({ table: { maxSize: 4_096 } });
    decoder.write(Buffer.concat(pending));
    decoder.execute();
    const fields: Fields = [];
    for (let h = decoder.read(); h !== null; h = decoder.read()) fields.push([h.name, h.value]);
    out.push({ stream: f.stream, flags, fields });
    pending = [];
  }
  return out;
}

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

describe('AuthorityFront: the client-to-server bytes of an HTTP/2 connection, as Node’s server takes them', () => {
  it('percent-encodes every octet nghttp2 refuses in :authority, and nothing else', () => {
    expect(asAuthority('/var/lib/meridio/tap.sock')).to.equal('%2Fvar%2Flib%2Fmeridio%2Ftap.sock');
    expect(asAuthority('a b#?\\\u00e9')).to.equal('a%20b%23%3F%5C%E9');
    for (const valid of ['localhost', 'localhost:50051', '[::1]:80', 'x%2Fy', "a-._~!$&'()*+,;=:@"])
      expect(asAuthority(valid)).to.equal(valid);
  });

  it('passes a connection whose authorities are valid on byte for byte, however the reads cut it', () => {
    const [first, second] = blocks([request('localhost'), request('localhost', [['x-id', '2']])]);
    const padded = Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 16]), second!, Buffer.alloc(3)]);
    const bytes = Buffer.concat([
      PREFACE,
      SETTINGS,
      frame(0x1, 0x4, 1, first!),
      data(1, 40),
      WINDOW_UPDATE,
      frame(0x1, 0x4 | 0x8 | 0x20, 3, padded),
      data(3, 5),
    ]);
    fc.assert(
      fc.property(cutsArb, (cuts) => {
        expect(through(bytes, cuts).out.equals(bytes)).to.equal(true);
      }),
    );
  });

  it('passes on a chunk with no header block in it as it is, without a copy', () => {
    const front = new AuthorityFront();
    front.feed(Buffer.concat([PREFACE, SETTINGS]));
    const chunk = Buffer.concat([data(1, 100), WINDOW_UPDATE]);
    const out = front.feed(chunk);
    expect(out).to.have.length(1);
    expect(out[0]).to.equal(chunk);
  });

  it('rewrites the socket path in every block from the first that has it on, each block standing alone, keeping priority and END_STREAM', () => {
    const path = '/var/lib/meridio/tap.sock';
    const lists = [
      request('localhost'),
      request(path, [['authorization', 'secret']]),
      request(path),
      request(path, [['x-big', 'v'.repeat(30_000)]]),
    ];
    const encoded = blocks(lists);
    const bytes = Buffer.concat([
      PREFACE,
      SETTINGS,
      frame(0x1, 0x4, 1, encoded[0]!),
      frame(0x1, 0x4 | 0x8 | 0x20 | 0x1, 3, Buffer.concat([Buffer.from([2, 0, 0, 0, 1, 42]), encoded[1]!, Buffer.alloc(2)])),
      data(1, 10),
      frame(0x1, 0x0, 5, encoded[2]!.subarray(0, 4)),
      frame(0x9, 0x0, 5, encoded[2]!.subarray(4, 5)),
      frame(0x9, 0x4, 5, encoded[2]!.subarray(5)),
      frame(0x1, 0x0, 7, encoded[3]!.subarray(0, 16_000)),
      frame(0x9, 0x4, 7, encoded[3]!.subarray(16_000)),
      WINDOW_UPDATE,
    ]);
    fc.assert(
      fc.property(cutsArb, (cuts) => {
        const { out, rewritten } = through(bytes, cuts);
        expect(rewritten).to.deep.equal([
          [path, '%2Fvar%2Flib%2Fmeridio%2Ftap.sock'],
          [path, '%2Fvar%2Flib%2Fmeridio%2Ftap.sock'],
          [path, '%2Fvar%2Flib%2Fmeridio%2Ftap.sock'],
        ]);
        const served = lists.map((fields) =>
          fields.map(([name, value]): [string, string] => [name, name === ':authority' ? asAuthority(value) : value]),
        );
        // The first block went on as it came, indexed; the ones after the first rewrite stand alone.
        const after = standalone(out).slice(1);
        expect(after.map((b) => b.fields)).to.deep.equal(served.slice(1));
        expect(after.map((b) => [b.stream, b.flags & ~0x4])).to.deep.equal([
          [3, 0x20 | 0x1],
          [5, 0],
          [7, 0],
        ]);
        const withPriority = frames(out).find((f) => f.stream === 3 && f.type === 0x1)!;
        expect([...withPriority.payload.subarray(0, 5)]).to.deep.equal([0, 0, 0, 1, 42]);
        expect(frames(out).filter((f) => f.type !== 0x1 && f.type !== 0x9)).to.deep.equal(
          frames(Buffer.concat([PREFACE, SETTINGS, data(1, 10), WINDOW_UPDATE])),
        );
      }),
      { numRuns: 30 },
    );
  });

  it('writes string lengths right on either side of each integer prefix boundary (RFC 7541 5.1)', () => {
    const lengths = [0, 126, 127, 128, 254, 255, 256, 127 + 128 * 128 - 1, 127 + 128 * 128];
    const extra = lengths.map((n): [string, string] => [`x-${n}`, 'v'.repeat(n)]);
    const [block] = blocks([request('/x.sock', extra)]);
    const split = [block!.subarray(0, 16_384), block!.subarray(16_384)];
    const { out } = through(Buffer.concat([PREFACE, frame(0x1, 0, 1, split[0]!), frame(0x9, 0x4, 1, split[1]!)]));
    expect(standalone(out)[0]!.fields).to.deep.equal(request('%2Fx.sock', extra));
  });

  it('keeps a "never indexed" field never indexed', () => {
    const [block] = blocks([request('/x.sock', [['authorization', 'secret']])]);
    const { out } = through(Buffer.concat([PREFACE, frame(0x1, 0x4, 1, block!)]));
    const decoder = hpack.decompressor.create({ table: { maxSize: 4_096 } });
    decoder.write(frames(out)[0]!.payload);
    decoder.execute();
    const fields = [];
    for (let h = decoder.read(); h !== null; h = decoder.read()) fields.push(h);
    expect(fields.find((h) => h.name === 'authorization')).to.deep.equal({ name: 'authorization', value: 'secret', neverIndex: true });
  });

  it('drops the first SETTINGS acknowledgement, which is for the empty SETTINGS nghttp2 did not send, and passes on the next', () => {
    const [block] = blocks([request('localhost')]);
    const bytes = Buffer.concat([PREFACE, SETTINGS, ACK, frame(0x1, 0x4, 1, block!), ACK, data(1, 3)]);
    fc.assert(
      fc.property(cutsArb, (cuts) => {
        expect(through(bytes, cuts).out.equals(Buffer.concat([PREFACE, SETTINGS, frame(0x1, 0x4, 1, block!), ACK, data(1, 3)]))).to.equal(
          true,
        );
      }),
    );
  });

  it('until it rewrites, what it returned and then what it holds are the bytes fed but the dropped acknowledgement, at every cut', () => {
    const [first, second] = blocks([request('localhost'), request('localhost', [['x-id', '2']])]);
    const split = [
      frame(0x1, 0x0, 1, first!.subarray(0, 5)),
      frame(0x9, 0x0, 1, first!.subarray(5, 9)),
      frame(0x9, 0x4, 1, first!.subarray(9)),
    ];
    const before = [SETTINGS, WINDOW_UPDATE];
    const after = [data(1, 30), frame(0x1, 0x4 | 0x8, 3, Buffer.concat([Buffer.from([2]), second!, Buffer.alloc(2)])), data(3, 4)];
    fc.assert(
      fc.property(fc.nat({ max: before.length + after.length }), cutsArb, (ackAt, cuts) => {
        const frames = [...before, ...split, ...after];
        // The acknowledgement comes before the request (the client read the empty SETTINGS first) or after it, never inside a header block.
        frames.splice(ackAt <= before.length ? ackAt : ackAt + split.length, 0, ACK);
        const bytes = Buffer.concat([PREFACE, ...frames]);
        const ackStart = PREFACE.length + Buffer.concat(frames.slice(0, frames.indexOf(ACK))).length;
        const blockEnd = PREFACE.length + Buffer.concat(frames.slice(0, frames.indexOf(split[2]!) + 1)).length;
        const front = new AuthorityFront();
        const out: Buffer[] = [];
        const edges = [...new Set([...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b);
        let fed = 0;
        for (const edge of edges) {
          out.push(...front.feed(bytes.subarray(fed, edge)));
          fed = edge;
          const acknowledged = fed >= ackStart + ACK.length;
          const expected = acknowledged
            ? Buffer.concat([bytes.subarray(0, ackStart), bytes.subarray(ackStart + ACK.length, fed)])
            : bytes.subarray(0, fed);
          expect(Buffer.concat([...out, ...front.held()]).equals(expected)).to.equal(true);
          expect([front.acknowledged, front.requested, front.rewriting]).to.deep.equal([acknowledged, fed >= blockEnd, false]);
        }
      }),
    );
  });

  describe('refuses bytes no HTTP/2 client sends', () => {
    const [ok] = blocks([request('/x.sock')]);
    const cases: Record<string, [Buffer, RegExp]> = {
      'a header block HPACK cannot decode': [frame(0x1, 0x4, 1, Buffer.from([0xff, 0xff, 0xff])), /HPACK cannot decode/],
      'a header block cut short': [frame(0x1, 0x4, 1, ok!.subarray(0, ok!.length - 2)), /HPACK cannot decode/],
      'a reference past the end of the table': [frame(0x1, 0x4, 1, Buffer.from([0xbe])), /HPACK cannot decode/],
      'a CONTINUATION that continues nothing': [frame(0x9, 0x4, 1, ok!), /continues no header block/],
      'a CONTINUATION of another stream': [
        Buffer.concat([frame(0x1, 0, 1, ok!), frame(0x9, 0x4, 3, Buffer.alloc(0))]),
        /continues no header block/,
      ],
      'a frame between HEADERS and its CONTINUATION': [Buffer.concat([frame(0x1, 0, 1, ok!), WINDOW_UPDATE]), /other than CONTINUATION/],
      'padding longer than the frame': [frame(0x1, 0x4 | 0x8, 1, Buffer.from([9, 0x82])), /padding/],
      'a header frame above SETTINGS_MAX_FRAME_SIZE': [frame(0x1, 0, 1, Buffer.alloc(16_385)), /SETTINGS_MAX_FRAME_SIZE/],
      'a header block above SETTINGS_MAX_HEADER_LIST_SIZE': [
        Buffer.concat([0, 1, 2, 3, 4].map((i) => frame(i === 0 ? 0x1 : 0x9, 0, 1, Buffer.alloc(16_000)))),
        /header block above/,
      ],
      // 0xbe: the newest table entry, some 4 KB, referred to again and again.
      'a header list that decodes far above SETTINGS_MAX_HEADER_LIST_SIZE': [
        Buffer.concat([
          frame(0x1, 0x4, 1, blocks([request('/x.sock', [['x-big', 'v'.repeat(4_000)]])])[0]!),
          frame(0x1, 0x4, 3, Buffer.alloc(100, 0xbe)),
        ]),
        /header list above/,
      ],
    };
    for (const [name, [bytes, reason]] of Object.entries(cases))
      it(name, () => expect(() => through(Buffer.concat([PREFACE, SETTINGS, bytes]))).to.throw(MalformedRequest, reason));

    it('a SETTINGS acknowledgement with a payload', () =>
      expect(() => through(Buffer.concat([PREFACE, SETTINGS, frame(0x4, 0x1, 0, Buffer.alloc(6))]))).to.throw(
        MalformedRequest,
        /acknowledgement with a payload/,
      ));

    it('anything but the HTTP/2 client preface first, however the reads cut it (HTTP/1.1, say)', () => {
      const wrong = [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r')];
      fc.assert(
        fc.property(fc.constantFrom(...wrong), cutsArb, (bytes, cuts) => {
          expect(() => through(Buffer.concat([bytes, SETTINGS]), cuts)).to.throw(MalformedRequest, /client preface/);
        }),
      );
    });
  });
});
