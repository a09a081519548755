import type { StreamAt, StreamState } from './state.js';
import type { NspStream, NspTarget } from './wire.js';

/**
 * What a stream's calls and timers say about it that never changes, its names, in every
 * form they say it: made once per stream rather than once per call. At 10,000 streams,
 * made per call, they were a fifth of what a step allocated, and the owners, which live
 * as long as their call or timer, had to be moved by the collector.
 *
 * Shared, and so never to be changed by anyone. Effects are outputs: the runner, the
 * gRPC transport and the simulator read them, and the simulator's NSP copies the targets
 * it keeps. The owners are shared by entries of `pending` and `timers`, which are only
 * ever removed. Not frozen: frozen objects beside unfrozen ones of the same shape made
 * the code that reads both slower than the allocations saved.
 *
 * Kept on the stream object, whose names are read-only; a state loaded from text has new
 * stream objects, which make forms of their own. Nothing here changes what `step` returns.
 */
export interface StreamForms {
  /** Where the stream's effects belong. */
  readonly scope: StreamAt;
  /** Owner of the stream's calls to the NSP. */
  readonly caller: StreamAt & { readonly kind: 'target' };
  /** Owner of the stream's timers. */
  readonly timer: StreamAt & { readonly kind: 'stream' };
  /** The NSP form of the stream; maxTargets is the NSP's to say, so it stays unset. */
  readonly nsp: NspStream;
  /** The filter of a getTargets: every target of the stream. */
  readonly targets: NspTarget;
}

/**
 * Where a stream keeps its forms: a property that is neither enumerable nor a string, so
 * that JSON, structuredClone, spreads and deep equality all pass it by, and a copy of the
 * state is the same data without it. A WeakMap beside the state cost more to look up, at
 * 10,000 streams, than the allocations it saved.
 */
const FORMS = Symbol('stream forms');

export function formsOf(stream: StreamState): StreamForms {
  return (stream as StreamState & { readonly [FORMS]?: StreamForms })[FORMS] ?? keep(stream, formsFor(stream));
}

function keep(stream: StreamState, forms: StreamForms): StreamForms {
  Object.defineProperty(stream, FORMS, { value: forms });
  return forms;
}

function formsFor(stream: StreamState): StreamForms {
  const { trench, conduit, name } = stream;
  const nsp: NspStream = { name, maxTargets: 0, conduit: { name: conduit, destinationPortNats: [], trench: { name: trench } } };
  return {
    scope: { trench, conduit, stream: name },
    caller: { kind: 'target', trench, conduit, stream: name },
    timer: { kind: 'stream', trench, conduit, stream: name },
    nsp,
    targets: { ips: [], context: {}, status: 'ANY', type: 'DEFAULT', stream: nsp },
  };
}
