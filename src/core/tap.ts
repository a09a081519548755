import { limits } from './config.js';
import { createConduit } from './conduit.js';
import type { CallError } from './events.js';
import type { ConduitState, StreamState } from './state.js';
import { createStream } from './stream.js';
import { abandonBackoff } from './target.js';
import { conduitOf, otherTrenchInUse, streamAt, trenchOf } from './trench.js';
import type { Turn } from './turn.js';
import type { TapStream } from './wire.js';

export interface StreamNames {
  readonly trench: string;
  readonly conduit: string;
  readonly stream: string;
  /** The request itself, echoed by Watch. */
  readonly msg: TapStream;
}

/**
 * Checks a Tap request. Go's messages for absent parts are kept; unlike Go, empty and
 * over-long names are refused too (the proto documents them as invalid), since a
 * nameless conduit would otherwise become a real NSM connection.
 */
export function validate(msg: TapStream | undefined): StreamNames | CallError {
  if (!msg) return invalid('stream cannot be nil');
  if (!msg.conduit) return invalid('conduit cannot be nil');
  if (!msg.conduit.trench) return invalid('trench cannot be nil');
  const trench = msg.conduit.trench.name;
  const conduit = msg.conduit.name;
  const stream = msg.name;
  return badName('trench', trench) ?? badName('conduit', conduit) ?? badName('stream', stream) ?? { trench, conduit, stream, msg };
}

function badName(level: string, name: string): CallError | undefined {
  if (name === '') return invalid(`${level} name cannot be empty`);
  if (name.length > limits.maxNameLength) return invalid(`${level} name is longer than ${limits.maxNameLength} characters`);
  return undefined;
}

function invalid(message: string): CallError {
  return { code: 'INVALID_ARGUMENT', message };
}

/**
 * Tap.Open: records the stream and answers at once, like Go; the application learns how
 * it goes through Watch. Opening an open stream changes nothing.
 */
export function open(turn: Turn, request: number, msg: TapStream | undefined): void {
  const names = validate(msg);
  if ('code' in names) return turn.emit({ kind: 'reply', request, error: names });
  if (turn.state.shutdown !== 'running') {
    return turn.emit({ kind: 'reply', request, error: { code: 'UNAVAILABLE', message: 'the TAPA is shutting down' } });
  }
  if (otherTrenchInUse(turn.state, names.trench)) {
    return turn.emit({ kind: 'reply', request, error: { code: 'FAILED_PRECONDITION', message: 'another trench is already connected' } });
  }
  const trench = trenchOf(turn.state, names.trench);
  let conduit = trench.conduits.get(names.conduit);
  // Named by the very strings their maps are keyed by: a lookup then compares pointers, not text.
  if (!conduit) {
    conduit = createConduit(turn, trench.name, names.conduit);
    trench.conduits.set(names.conduit, conduit);
  }
  let stream = conduit.streams.get(names.stream);
  if (!stream) {
    stream = createStream(trench.name, conduit.name, names.stream, names.msg);
    conduit.streams.set(names.stream, stream);
    want(turn, stream, conduit);
  } else if (!stream.wanted) {
    // Re-opened while its target is still being withdrawn: it is acquired again once that is done.
    stream.tap = names.msg;
    want(turn, stream, conduit);
  }
  turn.emit({ kind: 'reply', request });
}

function want(turn: Turn, stream: StreamState, conduit: ConduitState): void {
  stream.wanted = true;
  conduit.wanted++;
  // A conduit that was winding down may have a connection or VIPs to catch up on.
  turn.markConduit(conduit);
  turn.state.registry.set(stream.key, streamAt(stream));
  turn.markMembership(stream);
  turn.touchStream(stream);
}

/**
 * Tap.Close: answered at once like Go, but applied in order with the Opens around it,
 * so Close then Open of a stream leaves it open and Open then Close leaves it closed.
 */
export function close(turn: Turn, request: number, msg: TapStream | undefined): void {
  const names = validate(msg);
  if ('code' in names) return turn.emit({ kind: 'reply', request, error: names });
  const stream = conduitOf(turn.state, names.trench, names.conduit)?.streams.get(names.stream);
  if (stream) unwant(turn, stream);
  turn.emit({ kind: 'reply', request });
}

/** The application no longer wants the stream (Close, or shutdown). */
export function unwant(turn: Turn, stream: StreamState): void {
  if (!stream.wanted) return;
  const conduit = conduitOf(turn.state, stream.trench, stream.conduit);
  stream.wanted = false;
  if (conduit) {
    conduit.wanted--;
    turn.markConduit(conduit);
  }
  turn.state.registry.delete(stream.key);
  turn.markMembership(stream);
  abandonBackoff(turn, stream);
  turn.touchStream(stream);
}
