import type { StreamStatus, TapStream } from '../../../core/wire.js';
import { Runtime, type Go } from '../../goroutine/index.js';
import type { Model, TapaSpec, TapaUnderTest } from '../../harness/model.js';
import type { Environment } from '../../world/environment.js';
import { ConduitConnect } from './conduit-connect.js';
import { go, newProc, NSP_ENTRY_TIMEOUT, type Version } from './process.js';
import { Registry } from './registry.js';
import { Tap, validate } from './tap.js';

/**
 * A lock-level model of Meridio's Go TAPA v1.1.4 (reference TAPA-v1.1.4.md §0–§6), run
 * by the simulator like the core: every mutex (tap.mu, trench.mu, cc.ctxMu, conduit.mu,
 * sm.mu, sr.ctxMu, stream.mu, reg.mu, and the leaf tcfg.mu/ccfg.mu), goroutine,
 * capacity-1 channel and WaitGroup of the Go code, on one goroutine Runtime per TAPA,
 * with RPCs sent to the shared Environment. Goroutines are named
 * `<tapa>/<Go function>` and frames as in a Go dump, so a deadlock report's goroutine
 * dump compares with the one of Meridio #578.
 *
 * The legacy model is judged on deadlocks and hangs only: it keeps Go's quirks on
 * purpose, so it reports no invariants and no divergences (the core's rules are not
 * its rules), and claims every NSP target it might hold.
 */
export const legacyModel: Model = legacyModelOf('legacy-v1.1.4', { conduitConnect: (p, conduit) => new ConduitConnect(p, conduit) });

/**
 * The v1.1.4 model with some pieces of another version; `name` is the model's name. Its
 * longest legitimate wait is the monitor's Stop under conduit.mu (2 × NSPEntryTimeout).
 */
export function legacyModelOf(name: string, version: Version): Model {
  return {
    name,
    converges: false,
    // The model stops at the TAPA's calls into NSM's SDK, whose begin client keeps the path.
    keepsNsmPaths: false,
    longestWaitMs: 2 * NSP_ENTRY_TIMEOUT,
    create: (env, spec) => create(env, spec, version),
  };
}

function create(env: Environment, spec: TapaSpec, version: Version): TapaUnderTest {
  const rt = new Runtime(env.scheduler, {
    ...(spec.goroutines ? { observer: spec.goroutines } : {}),
    ...(spec.settle ? { settle: spec.settle } : {}),
    ...(spec.lockOrder === false ? { lockOrder: false } : {}),
  });
  const p = newProc(rt, env, spec, version);
  const registry = new Registry(p);
  const tap = new Tap(p, registry);
  // Tap calls not answered yet: the server's Stop at shutdown fails them.
  const pending = new Set<number>();
  const reply = (request: number, err: string | undefined): void => {
    if (!pending.delete(request)) return;
    if (err === undefined) spec.reply(request);
    else spec.reply(request, { code: 'UNKNOWN', message: err });
  };
  return {
    name: spec.name,
    open(request: number, stream: TapStream): void {
      pending.add(request);
      go(p, 'v1._Tap_Open_Handler', function* (): Go<void> {
        reply(request, yield* tap.open(stream));
      });
    },
    close(request: number, stream: TapStream): void {
      pending.add(request);
      // Like Go: validate, spawn G-close, answer at once.
      go(p, 'v1._Tap_Close_Handler', function* (): Go<void> {
        reply(request, validate(stream) ?? tap.close(stream));
      });
    },
    watch(_watcher: number, filter: TapStream | undefined, message: (statuses: readonly StreamStatus[]) => void): void {
      // The client never cancels a Watch in a scenario, so the handler loops forever.
      go(p, 'v1._Tap_Watch_Handler', function* (): Go<void> {
        const w = yield* registry.watch(filter);
        for (;;) {
          const r = yield* w.ch.recv();
          if (!r.ok) return;
          message(r.value);
        }
      });
    },
    shutdown(done: () => void): void {
      // §4.3: main's deferred calls after the signal. Tap.Delete first, without tap.mu, while
      // the Tap server still serves; then the server's Stop fails the calls still running;
      // the rest (NSM client Delete, cancelling the NSM context) gives nothing back to the
      // world, and the process exits.
      go(p, 'main.main', function* (): Go<void> {
        yield* tap.delete(rt.background());
        for (const request of [...pending]) {
          pending.delete(request);
          spec.reply(request, { code: 'UNAVAILABLE', message: 'the TAPA is stopping' });
        }
        rt.exit();
        done();
      });
    },
    invariants: () => [],
    divergences: () => [],
    holds: () => true,
    runtime: rt,
  };
}
