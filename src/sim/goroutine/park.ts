/**
 * What a goroutine dump needs to know of the op a goroutine is parked in: its kind and,
 * for a channel op, whether it is a select and which way its first case goes. Every
 * `Op` (op.ts) is one.
 */
export type Parking =
  | { readonly kind: 'lock' | 'wait' | 'sleep' }
  | { readonly kind: 'chan'; readonly select: boolean; readonly cases: readonly { readonly kind: 'recv' | 'send' }[] };

/**
 * The frames a Go goroutine dump shows above the model's frames while parked in this op,
 * innermost first, copied from real dumps (Meridio #578) so that a model's dump reads,
 * and parses, like the real one. The last frame is the one a model "calls".
 */
export function parkFrames(op: Parking): readonly string[] {
  switch (op.kind) {
    case 'lock':
      return MUTEX_PARK;
    case 'wait':
      return WAITGROUP_PARK;
    case 'chan':
      if (op.select) return SELECT_PARK;
      return op.cases[0]?.kind === 'send' ? SEND_PARK : RECV_PARK;
    case 'sleep':
      return SLEEP_PARK;
  }
}

/**
 * The sync or runtime function the model is inside while parked, as the innermost
 * frame of a goroutine's stack: `sync.(*Mutex).Lock`, `sync.(*WaitGroup).Wait`,
 * `runtime.chanrecv1`, `runtime.chansend1`, `runtime.selectgo` or `time.Sleep`.
 */
export function blockingFrame(op: Parking): string {
  const frames = parkFrames(op);
  return frames[frames.length - 1]!.replace(INLINE, '');
}

const INLINE = / \(inline\)$/;

const MUTEX_PARK = [
  'runtime.gopark',
  'runtime.goparkunlock (inline)',
  'runtime.semacquire1',
  'sync.runtime_SemacquireMutex',
  'sync.(*Mutex).lockSlow',
  'sync.(*Mutex).Lock (inline)',
];
const WAITGROUP_PARK = [
  'runtime.gopark',
  'runtime.goparkunlock (inline)',
  'runtime.semacquire1',
  'sync.runtime_Semacquire',
  'sync.(*WaitGroup).Wait',
];
const RECV_PARK = ['runtime.gopark', 'runtime.chanrecv', 'runtime.chanrecv1'];
const SEND_PARK = ['runtime.gopark', 'runtime.chansend', 'runtime.chansend1'];
const SELECT_PARK = ['runtime.gopark', 'runtime.selectgo'];
const SLEEP_PARK = ['runtime.gopark', 'time.Sleep'];
