/** The part of hpack.js 2.1 the sockets' HTTP/2 front (decompressor) and its tests (compressor) use; the package ships no types. */
declare module 'hpack.js' {
  import type { Duplex } from 'node:stream';

  export interface HeaderField {
    name: string;
    /** Bytes as a latin1 string: one character per octet, whatever the octets are. */
    value: string;
    /** The field was sent "never indexed" (RFC 7541 6.2.3), which an intermediary must keep. */
    neverIndex: boolean;
  }

  export interface FieldToEncode {
    name: string;
    value: string;
    neverIndex?: boolean;
    /** `false`: literal without indexing, so the encoder adds nothing to its dynamic table. Defaults to true. */
    incremental?: boolean;
    /** `false`: string literals as they are, without Huffman coding. Defaults to true. */
    huffman?: boolean;
  }

  /** `maxSize` (not `size`, as the package's README has it) bounds the dynamic table; without it the table grows without limit. */
  export interface TableOptions {
    table: { maxSize: number };
  }

  /** Header blocks in with write(), then execute() (throws on a malformed block), then read() until null. */
  export interface Decompressor extends Duplex {
    execute(): void;
    read(): HeaderField | null;
  }

  /** A list of fields in with write(); its header block out with read(), null when the block is empty. */
  export interface Compressor extends Duplex {
    read(): Buffer | null;
  }

  const hpack: {
    decompressor: { create(options: TableOptions): Decompressor };
    compressor: { create(options: TableOptions): Compressor };
  };
  export default hpack;
}
