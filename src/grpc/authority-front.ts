import hpack, { type HeaderField } from 'hpack.js';
import { getDefaultSettings } from 'node:http2';

/** What Node's HTTP/2 server advertises; grpc-js passes it none of these settings. */
const SERVER = ((settings) => ({
  headerTableSize: settings.headerTableSize ?? 4_096,
  maxFrameSize: settings.maxFrameSize ?? 16_384,
  maxHeaderListSize: settings.maxHeaderListSize ?? 65_535,
}))(getDefaultSettings());

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER_LENGTH = 9;
/** Offsets in a frame header. */
const TYPE = 3;
const FLAGS = 4;
const STREAM = 5;
const STREAM_MASK = 0x7fff_ffff;
/** Frame types. */
const HEADERS = 0x1;
const SETTINGS = 0x4;
const CONTINUATION = 0x9;
/** SETTINGS flag. */
const ACK = 0x1;
/** HEADERS flags. */
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** Stream dependency and weight. */
const PRIORITY_LENGTH = 5;
/** First octets of a field with a literal name (RFC 7541 6.2.2, 6.2.3). */
const WITHOUT_INDEXING = 0x00;
const NEVER_INDEXED = 0x10;
/** A string's length fits in the first octet below this (H bit clear). */
const STRING_PREFIX_MAX = 0x7f;
/** What RFC 7541 4.1 counts per field besides its name and value, as SETTINGS_MAX_HEADER_LIST_SIZE does. */
const FIELD_OVERHEAD = 32;

/**
 * The client-to-server bytes of one HTTP/2 connection on a unix socket, as Node's HTTP/2
 * server will take them: a request whose `:authority` is not an RFC 3986 authority gets it
 * percent-encoded; every other byte goes on as it came.
 *
 * Why: nghttp2, inside Node, resets with PROTOCOL_ERROR every request whose `:authority` has
 * a character RFC 3986 does not allow there, and neither Node nor grpc-js can turn the check
 * off. Clients that dial a unix socket by its path send the path: older grpc-go with a custom
 * dialer, grpcurl `-unix` before 1.9.0, grpc-java over a domain socket. A grpc-go server
 * serves them. Current grpc-go percent-encodes the same path, so the server now sees what
 * such a client would send.
 *
 * The header block is HPACK-compressed with a dynamic table per direction that both ends
 * keep in step, so every block of the connection is decoded here, in order, whether rewritten
 * or not. Until the first rewrite, blocks go on byte for byte and nghttp2's table stays the
 * client's; from then on every block is re-encoded with literals that are not indexed
 * (RFC 7541 6.2.2), which leave nghttp2's table as it is, so nothing the client's later blocks
 * refer to can be missing there. Such literals need no dynamic table size update either:
 * one is due only when the server lowers SETTINGS_HEADER_TABLE_SIZE, and grpc-js never does.
 *
 * The server's side of the connection begins with an empty SETTINGS that is not nghttp2's (see
 * serveConnection), so the client's first SETTINGS acknowledgement is for nobody there and is
 * dropped: nghttp2 takes an acknowledgement of settings it never sent for a connection error.
 *
 * Sans I/O: feed() takes what the socket read and returns what the server must read, and
 * throws a MalformedRequest when the bytes cannot be an HTTP/2 client's, after which the
 * connection is closed. Chunks without a header block are returned as they are, not copied.
 */
export class AuthorityFront {
  private prefaceLeft = PREFACE.length;
  /** The frame header being read, whole once `headFill` is FRAME_HEADER_LENGTH. */
  private readonly head = Buffer.alloc(FRAME_HEADER_LENGTH);
  private headFill = 0;
  /** Payload bytes still to come of a frame that is passed on as it is. */
  private passLeft = 0;
  /** A HEADERS or CONTINUATION frame being read whole. */
  private frame: { readonly header: Buffer; readonly payload: Buffer[]; left: number } | undefined;
  /** The header block being gathered, until a frame with END_HEADERS. */
  private block: Block | undefined;
  private rewrote = false;
  private ackDropped = false;
  private anyBlock = false;
  private lastRewrite = { from: '', to: '' };
  private readonly decoder = hpack.decompressor.create({ table: { maxSize: SERVER.headerTableSize } });

  /** `rewritten`: told each `:authority` changed, as the client sent it and as the server gets it. */
  constructor(private readonly rewritten: (from: string, to: string) => void = () => {}) {}

  /** Whether a header block has been rewritten: from then on, every block is. */
  get rewriting(): boolean {
    return this.rewrote;
  }

  /** Whether the client's acknowledgement of the empty SETTINGS has come (and was dropped). */
  get acknowledged(): boolean {
    return this.ackDropped;
  }

  /** Whether a whole header block has been read. */
  get requested(): boolean {
    return this.anyBlock;
  }

  /**
   * The bytes read and not returned yet, as they came: the header block being gathered and the
   * frame or frame header being read. Until a block is rewritten, everything fed is what feed()
   * returned, then these, but for the dropped acknowledgement.
   */
  held(): Buffer[] {
    const frame = this.frame === undefined ? [] : [this.frame.header, ...this.frame.payload];
    return [...(this.block?.frames ?? []), ...frame, ...(this.headFill > 0 ? [Buffer.from(this.head.subarray(0, this.headFill))] : [])];
  }

  feed(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = Math.min(this.prefaceLeft, chunk.length);
    const prefaceAt = PREFACE.length - this.prefaceLeft;
    if (!chunk.subarray(0, at).equals(PREFACE.subarray(prefaceAt, prefaceAt + at)))
      throw new MalformedRequest('bytes that do not begin with the HTTP/2 client preface');
    this.prefaceLeft -= at;
    /** Where the bytes of this chunk not yet returned start. */
    let from = 0;
    while (at < chunk.length) {
      if (this.passLeft > 0) {
        const n = Math.min(this.passLeft, chunk.length - at);
        this.passLeft -= n;
        at += n;
      } else if (this.frame !== undefined) {
        const n = Math.min(this.frame.left, chunk.length - at);
        this.frame.payload.push(chunk.subarray(at, at + n));
        this.frame.left -= n;
        at += n;
        from = at;
        if (this.frame.left === 0) out.push(...this.frameRead(this.frame.header, joined(this.frame.payload)));
      } else {
        const carried = this.headFill;
        const n = Math.min(FRAME_HEADER_LENGTH - carried, chunk.length - at);
        chunk.copy(this.head, carried, at, at + n);
        this.headFill += n;
        at += n;
        if (this.headFill < FRAME_HEADER_LENGTH) break;
        this.headFill = 0;
        const length = this.head.readUIntBE(0, 3);
        const type = this.head[TYPE];
        if (this.block !== undefined && type !== CONTINUATION)
          throw new MalformedRequest('a frame other than CONTINUATION inside a header block');
        if (type === HEADERS || type === CONTINUATION) {
          if (length > SERVER.maxFrameSize)
            throw new MalformedRequest(`a ${length}-byte header frame, above the server's SETTINGS_MAX_FRAME_SIZE`);
          if (from < at - n) out.push(chunk.subarray(from, at - n));
          this.frame = { header: Buffer.from(this.head), payload: [], left: length };
          from = at;
          if (length === 0) out.push(...this.frameRead(this.frame.header, Buffer.alloc(0)));
        } else if (type === SETTINGS && (this.head[FLAGS]! & ACK) !== 0 && !this.ackDropped) {
          if (length !== 0) throw new MalformedRequest('a SETTINGS acknowledgement with a payload');
          this.ackDropped = true;
          if (from < at - n) out.push(chunk.subarray(from, at - n));
          from = at;
        } else {
          // The part of the header that came with the previous chunk was held back, in case it began a header block.
          if (carried > 0) out.push(Buffer.from(this.head.subarray(0, carried)));
          this.passLeft = length;
        }
      }
    }
    // A frame header cut by the end of the chunk is held back until its type is known.
    const end = Math.max(0, chunk.length - this.headFill);
    if (from === 0 && end === chunk.length && out.length === 0) return [chunk];
    if (from < end) out.push(chunk.subarray(from, end));
    return out;
  }

  /** What the server gets for one whole HEADERS or CONTINUATION frame: nothing until its block is complete. */
  private frameRead(header: Buffer, payload: Buffer): Buffer[] {
    this.frame = undefined;
    const type = header[TYPE];
    const flags = header[FLAGS] ?? 0;
    const stream = header.readUInt32BE(STREAM) & STREAM_MASK;
    if (type === HEADERS) {
      const padding = (flags & PADDED) !== 0 ? (payload[0] ?? 0) : 0;
      const start = ((flags & PADDED) !== 0 ? 1 : 0) + ((flags & PRIORITY) !== 0 ? PRIORITY_LENGTH : 0);
      if (start + padding > payload.length) throw new MalformedRequest('HEADERS whose padding or priority is longer than the frame');
      this.block = {
        stream,
        flags: flags & (END_STREAM | PRIORITY),
        priority: (flags & PRIORITY) !== 0 ? payload.subarray(start - PRIORITY_LENGTH, start) : undefined,
        frames: [],
        fragments: [],
        size: 0,
      };
      this.gather(header, payload, payload.subarray(start, payload.length - padding));
    } else {
      if (this.block?.stream !== stream) throw new MalformedRequest('CONTINUATION that continues no header block of its stream');
      this.gather(header, payload, payload);
    }
    return (flags & END_HEADERS) !== 0 ? this.blockRead(this.block) : [];
  }

  private gather(header: Buffer, payload: Buffer, fragment: Buffer): void {
    const block = this.block!;
    block.frames.push(header, payload);
    block.fragments.push(fragment);
    block.size += fragment.length;
    if (block.size > SERVER.maxHeaderListSize)
      throw new MalformedRequest(`a header block above ${SERVER.maxHeaderListSize} bytes, the server's SETTINGS_MAX_HEADER_LIST_SIZE`);
  }

  private blockRead(block: Block): Buffer[] {
    this.block = undefined;
    this.anyBlock = true;
    const fields = this.decoded(joined(block.fragments));
    if (!this.rewrote && fields.every(isServed)) return block.frames;
    this.rewrote = true;
    const served = fields.map((field) => (isServed(field) ? field : this.rewrite(field)));
    // A block that refers to big table entries many times decodes to far more than it weighs.
    const size = served.reduce((sum, { name, value }) => sum + name.length + value.length + FIELD_OVERHEAD, 0);
    if (size > SERVER.maxHeaderListSize)
      throw new MalformedRequest(`a header list above ${SERVER.maxHeaderListSize} bytes, the server's SETTINGS_MAX_HEADER_LIST_SIZE`);
    return framed(block, literalBlock(served));
  }

  private rewrite(field: HeaderField): HeaderField {
    // A client sends the same authority on every request.
    if (field.value !== this.lastRewrite.from) this.lastRewrite = { from: field.value, to: asAuthority(field.value) };
    this.rewritten(field.value, this.lastRewrite.to);
    return { ...field, value: this.lastRewrite.to };
  }

  private decoded(block: Buffer): HeaderField[] {
    this.decoder.write(block);
    try {
      this.decoder.execute();
    } catch (err) {
      throw new MalformedRequest(`a header block HPACK cannot decode: ${(err as Error).message}`);
    }
    const fields: HeaderField[] = [];
    for (let field = this.decoder.read(); field !== null; field = this.decoder.read()) fields.push(field);
    return fields;
  }
}

/** The client sent bytes no HTTP/2 client sends; the connection is closed. */
export class MalformedRequest extends Error {}

interface Block {
  readonly stream: number;
  /** Of the HEADERS frame: END_STREAM and PRIORITY, which the rewritten block keeps. */
  readonly flags: number;
  readonly priority: Buffer | undefined;
  /** Every frame header and payload, to pass the block on as it came. */
  readonly frames: Buffer[];
  readonly fragments: Buffer[];
  size: number;
}

/**
 * Literals without indexing (RFC 7541 6.2.2), or never indexed (6.2.3) where the client sent
 * them so, as an intermediary must keep them: the server adds none of them to its table. Written
 * here rather than with hpack.js' compressor, which allocates with the deprecated Buffer
 * constructor on every block (Node looks at the stack each time) and would Huffman-code for nothing.
 */
function literalBlock(fields: readonly HeaderField[]): Buffer {
  const size = fields.reduce((sum, { name, value }) => sum + 1 + literalSize(name) + literalSize(value), 0);
  const block = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { name, value, neverIndex } of fields) {
    block[at++] = neverIndex ? NEVER_INDEXED : WITHOUT_INDEXING;
    at = writeLiteral(block, at, name);
    at = writeLiteral(block, at, value);
  }
  return block;
}

/** A string literal without Huffman coding: its length as an integer with a 7-bit prefix (RFC 7541 5.1), then its octets. */
function writeLiteral(block: Buffer, at: number, text: string): number {
  let rest = text.length;
  if (rest < STRING_PREFIX_MAX) block[at++] = rest;
  else {
    block[at++] = STRING_PREFIX_MAX;
    for (rest -= STRING_PREFIX_MAX; rest >= 0x80; rest >>>= 7) block[at++] = (rest & 0x7f) | 0x80;
    block[at++] = rest;
  }
  return at + block.write(text, at, 'latin1');
}

/** Octets of a string literal: its length (one octet, and one more per 7 bits beyond the prefix), then the string. */
function literalSize(text: string): number {
  let octets = 1;
  if (text.length >= STRING_PREFIX_MAX)
    for (let rest = text.length - STRING_PREFIX_MAX; ; rest >>>= 7) {
      octets++;
      if (rest < 0x80) break;
    }
  return octets + text.length;
}

/** One buffer of `parts`, copied only if there are several (a frame is mostly read in one go). */
function joined(parts: readonly Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** HEADERS and then CONTINUATION frames carrying `encoded`, none above the server's SETTINGS_MAX_FRAME_SIZE. */
function framed(block: Block, encoded: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  do {
    const first = at === 0;
    const room = SERVER.maxFrameSize - (first && block.priority !== undefined ? PRIORITY_LENGTH : 0);
    const fragment = encoded.subarray(at, at + room);
    at += fragment.length;
    const last = at === encoded.length;
    const prefix = first ? (block.priority ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const header = Buffer.alloc(FRAME_HEADER_LENGTH);
    header.writeUIntBE(prefix.length + fragment.length, 0, 3);
    header[TYPE] = first ? HEADERS : CONTINUATION;
    header[FLAGS] = (first ? block.flags : 0) | (last ? END_HEADERS : 0);
    header.writeUInt32BE(block.stream, STREAM);
    frames.push(header, prefix, fragment);
  } while (at < encoded.length);
  return frames;
}

/**
 * The characters nghttp2 allows in `:authority` (RFC 3986 3.2 without the userinfo rules):
 * unreserved, sub-delims, ":", "@", "[", "]" and "%".
 */
const AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]*$/;
const NOT_AUTHORITY = /[^A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]/g;

function isServed(field: { name: string; value: string }): boolean {
  return field.name !== ':authority' || AUTHORITY.test(field.value);
}

/** Every octet nghttp2 refuses, percent-encoded (values are latin1: one character per octet). */
export function asAuthority(value: string): string {
  return value.replace(NOT_AUTHORITY, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
