import type { StreamStatus, TapStream } from '../../../core/wire.js';
import { Runtime, type Go } from '../../goroutine/index.js';
import type { Model, TapaUnderTest } from '../../harness/model.js';
import { go, newProc } from './process.js';
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
export const legacyModel: Model = {
  name: 'legacy-v1.1.4',
  converges: false,
  create(env, spec): TapaUnderTest {
    const rt = new Runtime(env.scheduler, spec.goroutines ? { observer: spec.goroutines } : {});
    const p = newProc(rt, env, spec);
    const registry = new Registry(p);
    const tap = new Tap(p, registry);
    return {
      name: spec.name,
      open(request: number, stream: TapStream): void {
        go(p, 'v1._Tap_Open_Handler', function* (): Go<void> {
          const err = yield* tap.open(stream);
          if (err === undefined) spec.reply(request);
          else spec.reply(request, { code: 'UNKNOWN', message: err });
        });
      },
      close(request: number, stream: TapStream): void {
        // Like Go: validate, spawn G-close, answer at once.
        go(p, 'v1._Tap_Close_Handler', function* (): Go<void> {
          const err = validate(stream) ?? tap.close(stream);
          if (err === undefined) spec.reply(request);
          else spec.reply(request, { code: 'UNKNOWN', message: err });
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
      shutdown: (done) => done(),
      invariants: () => [],
      divergences: () => [],
      holds: () => true,
      runtime: rt,
    };
  },
};
