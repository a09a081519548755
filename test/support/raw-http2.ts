import hpack from 'hpack.js';
import { connect, type Socket } from 'node:net';

/** How a request's header block is laid out in frames. */
export interface Shape {
  /** Padding octets on the HEADERS frame (PADDED flag). */
  readonly padding?: number;
  /** A PRIORITY section on the HEADERS frame. */
  readonly priority?: boolean;
  /** The first fragment sizes: the first goes in HEADERS, each further one in a CONTINUATION; the rest of the block follows in CONTINUATIONs. */
  readonly fragments?: readonly number[];
}

/** The server's answer to one request: its header fields (response and trailers), or how the stream or connection ended. */
export type Answer =
  | { readonly kind: 'answered'; readonly fields: Readonly<Record<string, string>>; readonly data: Buffer }
  | { readonly kind: 'reset'; readonly code: number }
  | { readonly kind: 'closed' };

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;
/** Before the server's SETTINGS arrive, a client may send no bigger frame. */
const MAX_FRAME_SIZE = 16_384;
const END_STREAM = 0x1;
/** SETTINGS flag. */
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

export function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(stream, 5);
  return Buffer.concat([header, payload]);
}

/**
 * An HTTP/2 client written frame by frame, so that a test chooses exactly what goes on the
 * wire: the header block's encoding (incremental indexing, so that later requests refer to the
 * dynamic table) and its framing (padding, priority, CONTINUATION).
 */
export class RawHttp2 {
  private readonly encoder = hpack.compressor.create({ table: { maxSize: 4_096 } });
  private readonly decoder = hpack.decompressor.create({ table: { maxSize: 4_096 } });
  private received = Buffer.alloc(0);
  private readonly pending = new Map<number, { fields: Record<string, string>; data: Buffer[]; done: (a: Answer) => void }>();
  private nextStream = 1;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  /** Resolves when the server's first SETTINGS (its connection preface) has come. */
  readonly prefaced: Promise<void>;
  private onSettings: () => void = () => {};

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        for (const { done } of this.pending.values()) done({ kind: 'closed' });
        resolve();
      }),
    );
    socket.on('error', () => {});
    this.prefaced = new Promise((resolve) => (this.onSettings = resolve));
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, Buffer.alloc(0))]));
  }

  /**
   * Connects and sends the client preface. With `awaitPreface`, resolves only once the server's
   * preface has come, as grpc-go does before its first request; without, at once, so that the
   * first request goes out before the server's SETTINGS are read.
   */
  static async open(path: string, { awaitPreface = false } = {}): Promise<RawHttp2> {
    const client = await new Promise<RawHttp2>((resolve, reject) => {
      const socket = connect({ path }, () => resolve(new RawHttp2(socket)));
      socket.once('error', reject);
    });
    if (awaitPreface) await client.prefaced;
    return client;
  }

  /** Sends a gRPC request with `message` as its only message, and waits for the answer. */
  call(fields: Readonly<Record<string, string>>, message: Buffer, shape: Shape = {}): Promise<Answer> {
    const stream = this.nextStream;
    this.nextStream += 2;
    this.encoder.write(Object.entries(fields).map(([name, value]) => ({ name, value })));
    const block = this.encoder.read() ?? Buffer.alloc(0);
    const fragments: Buffer[] = [];
    let at = 0;
    for (const size of shape.fragments ?? []) fragments.push(block.subarray(at, (at += size)));
    do fragments.push(block.subarray(at, (at += MAX_FRAME_SIZE)));
    while (at < block.length);
    const frames = fragments.map((fragment, i) => {
      const endHeaders = i === fragments.length - 1 ? END_HEADERS : 0;
      if (i > 0) return frame(CONTINUATION, endHeaders, stream, fragment);
      const padding = shape.padding ?? 0;
      const flags = endHeaders | (shape.padding !== undefined ? PADDED : 0) | (shape.priority === true ? PRIORITY : 0);
      const pad = shape.padding !== undefined ? Buffer.from([padding]) : Buffer.alloc(0);
      const priority = shape.priority === true ? Buffer.from([0, 0, 0, 0, 200]) : Buffer.alloc(0);
      return frame(HEADERS, flags, stream, Buffer.concat([pad, priority, fragment, Buffer.alloc(padding)]));
    });
    const grpcMessage = Buffer.alloc(5 + message.length);
    grpcMessage.writeUInt32BE(message.length, 1);
    message.copy(grpcMessage, 5);
    frames.push(frame(DATA, END_STREAM, stream, grpcMessage));
    return new Promise((done) => {
      this.pending.set(stream, { fields: {}, data: [], done });
      this.socket.write(Buffer.concat(frames));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    while (this.received.length >= 9) {
      const length = this.received.readUIntBE(0, 3);
      if (this.received.length < 9 + length) return;
      const type = this.received[3];
      const flags = this.received[4] ?? 0;
      const stream = this.received.readUInt32BE(5) & 0x7fff_ffff;
      const payload = this.received.subarray(9, 9 + length);
      this.received = this.received.subarray(9 + length);
      this.frameRead(type, flags, stream, payload);
    }
  }

  /** Node's server sends neither padding nor CONTINUATION for answers this small. */
  private frameRead(type: number | undefined, flags: number, stream: number, payload: Buffer): void {
    if (type === SETTINGS && (flags & ACK) === 0) {
      this.socket.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
      this.onSettings();
    }
    if (type === GOAWAY) {
      for (const { done } of this.pending.values()) done({ kind: 'closed' });
      return;
    }
    const call = this.pending.get(stream);
    if (type === HEADERS) {
      this.decoder.write(payload);
      this.decoder.execute();
      for (let field = this.decoder.read(); field !== null; field = this.decoder.read()) if (call) call.fields[field.name] = field.value;
    }
    if (!call) return;
    if (type === DATA) call.data.push(payload);
    if (type === RST_STREAM) call.done({ kind: 'reset', code: payload.readUInt32BE(0) });
    if ((type === HEADERS || type === DATA) && (flags & END_STREAM) !== 0)
      call.done({ kind: 'answered', fields: call.fields, data: Buffer.concat(call.data) });
  }
}
