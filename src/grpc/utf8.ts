import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Field numbers of an ambassador.v1.Stream and what they hold: proto3 requires strings
 * to be valid UTF-8, and Go's gRPC refuses a request that breaks that. The generated
 * decoder quietly replaces bad bytes instead, which would let a name that is not the
 * one the application sent reach the NSP; so requests are checked before decoding.
 */
type Shape = { readonly [field: number]: 'string' | Shape };
const TRENCH: Shape = { 1: 'string' };
const CONDUIT: Shape = { 1: 'string', 2: TRENCH };
export const STREAM: Shape = { 1: 'string', 2: CONDUIT };

/** Throws when a string field of the message, at any depth of `shape`, is not valid UTF-8. */
export function assertUtf8(bytes: Uint8Array, shape: Shape): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    const kind = shape[field];
    if (wireType !== WireType.LengthDelimited || kind === undefined) {
      reader.skip(wireType);
      continue;
    }
    const value = reader.bytes();
    if (kind === 'string') strict.decode(value);
    else assertUtf8(value, kind);
  }
}
