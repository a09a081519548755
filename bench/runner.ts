import { emptyIpContext, initialState, step, type TapaEvent } from '../dist/core/index.js';
import type { Connection, NetworkServiceRequest, NspStream, NspTarget } from '../dist/core/wire.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Runner, type Assertions } from '../dist/runner/runner.js';
import { ScriptedTransport, type ScriptedCall } from '../dist/runner/scripted.js';
import { startWorker } from '../dist/worker-thread.js';

/**
 * Events per second of the TAPA as production runs it (the runner around the core), against
 * a scripted world that answers every call at once: `streams` streams over 10 conduits are
 * opened, acquired, then refreshed `rounds` times. The same shape at every size, so the
 * figures compare. `assertions` is the runner's invariant checking; `recordEvents`, the
 * flight recorder's size (0: off).
 */
export function runnerEventsPerSecond(
  streams: number,
  rounds: number,
  assertions: Assertions = 'off',
  minMs = 500,
  recordEvents = 0,
): number {
  return runnerRates(streams, rounds, assertions, minMs, recordEvents).wall;
}

/**
 * runnerEventsPerSecond, per second of wall time and per second of this process's CPU
 * time: on a machine busy with other work, the CPU time is what the process itself spent.
 */
export function runnerRates(
  streams: number,
  rounds: number,
  assertions: Assertions,
  minMs: number,
  recordEvents: number,
): { wall: number; cpu: number } {
  // Small sizes finish in milliseconds, where a GC or a JIT tier-up decides the figure:
  // repeat the whole workload until enough time has passed.
  let events = 0;
  let ns = 0n;
  const cpu = process.cpuUsage();
  do {
    const run = runWorkload(streams, rounds, assertions, recordEvents);
    events += run.events;
    ns += run.ns;
  } while (ns < BigInt(minMs) * 1_000_000n);
  const used = process.cpuUsage(cpu);
  return { wall: events / (Number(ns) / 1e9), cpu: events / ((used.user + used.system) / 1e6) };
}

/**
 * The heap the flight recorder holds once `streams` streams are open and refreshed, in MB:
 * the heap after a full GC with the runner and its recorder alive, minus the same without.
 */
export function recorderHeapMb(streams: number, rounds: number, recordEvents: number): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const held = (events: number): number => {
    const { runner } = runWorkload(streams, rounds, 'off', events);
    gc();
    const bytes = process.memoryUsage().heapUsed;
    // Read after the GC, the runner and its recorder are still alive through it.
    return runner.events > 0 ? bytes : 0;
  };
  const without = held(0);
  return (held(recordEvents) - without) / 2 ** 20;
}

/** The config of the bench's TAPA, in the runner and alone. */
const CONFIG = { name: 'bench', node: 'n' };

/**
 * Events per second of the core alone, and of a trivial reducer (it only tells the event
 * kinds apart), over the very events the core met in a runner workload (recordCoreEvents):
 * the ratio says what the core costs beyond walking the events, on a machine whose speed
 * of the day the baseline measures alongside.
 */
export function coreEventsPerSecond(events: readonly TapaEvent[], minMs = 500): { core: number; trivial: number; events: number } {
  // The core's passes run over fresh copies, made before the clock starts: it may keep what an event carries and change it later.
  const rate = (reduce: (copies: readonly TapaEvent[]) => void, fresh: boolean): number => {
    let ns = 0n;
    let n = 0;
    do {
      const copies = fresh ? structuredClone(events) : events;
      const t0 = process.hrtime.bigint();
      reduce(copies);
      ns += process.hrtime.bigint() - t0;
      n += events.length;
    } while (ns < BigInt(minMs) * 1_000_000n);
    return n / (Number(ns) / 1e9);
  };
  let kinds = 0;
  const trivial = (state: { seen: number }, event: TapaEvent): readonly unknown[] => {
    state.seen += event.kind.length;
    return NO_EFFECTS;
  };
  const core = rate((copies) => {
    const state = initialState(1, CONFIG);
    for (const event of copies) step(state, event);
  }, true);
  const baseline = rate((copies) => {
    const state = { seen: 0 };
    for (const event of copies) kinds += trivial(state, event).length + (state.seen & 1);
  }, false);
  // Used, so that the baseline's loop is not optimised away.
  if (kinds < 0) throw new Error('unreachable');
  return { core, trivial: baseline, events: events.length };
}

const NO_EFFECTS: readonly unknown[] = [];

/** coreEventsPerSecond `rounds` times, after a warm-up, in a worker thread of its own (bench/core-alone.ts says why). */
export function coreEventsPerSecondApart(
  events: readonly TapaEvent[],
  rounds: number,
): Promise<{ core: number; trivial: number; events: number }[]> {
  const worker = startWorker(import.meta.url, 'core-alone', { events, rounds });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the core's thread exited with ${code} before its figures`)));
  });
}

/** The events the core meets in the runner workload of this size, in order, as they came. */
export function recordCoreEvents(streams: number, rounds: number): TapaEvent[] {
  const events: TapaEvent[] = [];
  runWorkload(streams, rounds, 'off', 0, (event) => events.push(structuredClone(event)));
  return events;
}

function runWorkload(
  streams: number,
  rounds: number,
  assertions: Assertions,
  recordEvents: number,
  record?: (event: TapaEvent) => void,
): { events: number; ns: bigint; runner: Runner } {
  const conduits = 10;
  const transport = new ScriptedTransport();
  const options = {
    seed: 1,
    config: CONFIG,
    nspCallsInFlight: 256,
    newSegmentId: () => 's',
    assertions,
    recordEvents,
  };
  // The events in the order the runner hands them to the core: its dispatch queue is first in, first out.
  const runner = record
    ? new (class extends Runner {
        protected override dispatch(event: TapaEvent): void {
          record(event);
          super.dispatch(event);
        }
      })(transport, options)
    : new Runner(transport, options);
  const registry = new Map<string, NspTarget>();
  // Weak: the runner ends the watches it no longer needs (a stream's getTargets, once a
  // round), and a Set kept every one of them, which the figures then charged to the runner.
  const watching = new WeakSet<ScriptedCall>();
  const answer = (call: ScriptedCall): void => {
    if (call.kind === 'token') return call.answer({ ok: true, value: undefined });
    const conduit = call.scope.conduit ?? '';
    const key = `${conduit}/${call.scope.stream}`;
    if (call.kind === 'stream') {
      watching.add(call);
      if (call.rpc === 'watchStreams') {
        const filter = call.request as NspStream;
        return call.push(
          Array.from({ length: streams / conduits }, (_, i) => ({ name: `s${i}`, maxTargets: 100, conduit: filter.conduit })),
        );
      }
      if (call.rpc === 'monitorConnections') return call.push({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
      if (call.rpc === 'getTargets') {
        const own = registry.get(key);
        return call.push(own ? [own] : []);
      }
      return;
    }
    switch (call.rpc) {
      case 'nsmRequest': {
        const asked = (call.request as NetworkServiceRequest).connection!;
        const c: Connection = {
          ...asked,
          context: {
            extraContext: {},
            MTU: 0,
            ipContext: { ...emptyIpContext(), srcIpAddrs: ['172.16.0.2/24'], extraPrefixes: ['172.16.0.1/24'] },
          },
        };
        return call.answer({ ok: true, value: c });
      }
      case 'register':
        registry.set(key, call.request as NspTarget);
        return call.answer({ ok: true, value: {} });
      default:
        return call.answer({ ok: true, value: {} });
    }
  };
  // Answers in the order the calls were made; a watch stays open after its first message.
  const settle = (): void => {
    for (let more = true; more;) {
      more = false;
      for (const call of transport.calls) {
        if (watching.has(call)) continue;
        more = true;
        answer(call);
      }
    }
  };
  const started = process.hrtime.bigint();
  for (let i = 0; i < streams; i++) {
    runner.open({ name: `s${Math.floor(i / conduits)}`, conduit: { name: `c${i % conduits}`, trench: { name: 't' } } }, () => {});
  }
  settle();
  // Fire the recovery timers, then refresh rounds.
  for (let r = 0; r < rounds && transport.advance(); r++) settle();
  return { events: runner.events, ns: process.hrtime.bigint() - started, runner };
}
