/**
 * The goroutine runtime: lock-level models of Go code on the deterministic Scheduler.
 *
 * A model is a set of generator functions that `yield*` at every point where the Go
 * code could block, and name their frames like the Go functions, so that a deadlock
 * report, a lock-order cycle and a goroutine dump read like the real thing (#578):
 *
 * ```ts
 * const rt = new Runtime(new Scheduler(createStrategy({ kind: 'pct', seed: 1 })));
 * const cmu = rt.mutex('conduit.mu');
 * const smu = rt.mutex('stream.mu');
 * const getIPs = framed('conduit.(*Conduit).GetIPs', function* () { yield* cmu.lock(); cmu.unlock(); });
 * const close = framed('stream.(*Stream).Close', function* () { yield* smu.lock(); smu.unlock(); });
 * const stop = framed('conduit.(*streamManager).Stop', function* () {
 *   const wg = rt.waitGroup('sm.Stop.wg');
 *   wg.add(1); // the next goroutine this one spawns owes the Done
 *   rt.go('conduit.(*streamManager).Stop.func1', function* () { yield* close(); wg.done(); });
 *   yield* wg.wait();
 * });
 * rt.go('stream.(*Stream).Open', function* () { yield* smu.lock(); yield* getIPs(); smu.unlock(); });
 * rt.go('conduit.(*Conduit).monitorConnection', function* () { yield* cmu.lock(); yield* stop(); cmu.unlock(); });
 * rt.scheduler.run({ maxSteps: 1000, until: () => rt.deadlock !== undefined });
 * // rt.deadlock, formatDeadlock(rt.deadlock), rt.lockOrderCycles(), rt.dump()
 * ```
 *
 * Rules a model follows:
 * - Blocking primitives are generators: `yield* mu.lock()`, `yield* wg.wait()`,
 *   `yield* ch.recv()`, `yield* ch.send(v)`, `yield* select(...)`, `yield* sleep(ms)`.
 *   Everything else is a plain call: `mu.unlock()`, `wg.add(n)`, `wg.done()`,
 *   `ch.tryRecv()`, `ch.close()`, `cancel()`, `rt.go(...)`.
 * - Code between two yields is one atomic step; put a yield wherever Go could switch
 *   goroutines in a way that matters (a lock, a channel, an RPC modelled as `sleep`).
 * - Give every instance of one Go field the same mutex name: lockdep works on classes.
 * - Declare channel partners (`ch.addSender(g)`) for channels that can stall a cycle;
 *   WaitGroup debtors follow the rule in waitgroup.ts: `wg.add(n)` before `rt.go`, or
 *   `wg.add(1, { by: 'caller' })` inside the goroutine that will call Done.
 */
export { Runtime, type RuntimeOptions } from './runtime.js';
export type { RuntimeObserver } from './observer.js';
export { Goroutine, type GoroutineState, currentGoroutine } from './goroutine.js';
export { frame, framed } from './frame.js';
export type { Go, Op } from './op.js';
export { Mutex, type LockOp } from './mutex.js';
export { WaitGroup, type WaitOp } from './waitgroup.js';
export {
  Chan,
  type ChanOp,
  type RecvCase,
  type SendCase,
  type SelectCase,
  type RecvResult,
  type Selected,
  recvCase,
  sendCase,
  select,
} from './chan.js';
export { Context, type CancelableContext, type ContextError } from './context.js';
export { sleep, type SleepOp } from './sleep.js';
export { ModelError } from './modelerror.js';
export { formatDeadlock, memberOf, type Deadlock, type DeadlockMember, type WaitDescription } from './waitfor.js';
export { formatLockOrderCycle, type LockOrderCycle, type LockOrderEdge } from './lockorder.js';
export {
  type TraceGroup,
  TRACES_SEPARATOR,
  formatTraces,
  groupStacks,
  parseTraces,
  parseDebug2,
  parseProfile,
  stripArguments,
  normalizeFrame,
  blockedSignature,
} from './pprof.js';
export { stackSignature, deadlockSignature, syncBlockedSignature, lockOrderSignature } from './signature.js';
export { STALL_ROUNDS, formatStall, stallSignature, type Stall, type StallHolder } from './stall.js';
