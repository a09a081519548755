import type { StreamStatus, TapStream } from '../../core/wire.js';
import { viewOf, type Models } from '../harness/checks.js';
import type { TapaUnderTest } from '../harness/model.js';
import { APP_STEPS, conduitName, streamName, TRENCH, type Scenario, type Step } from '../harness/scenario.js';

interface Watcher {
  readonly tapa: TapaUnderTest;
  readonly conduit: string | undefined;
  last: readonly StreamStatus[] | undefined;
}

/**
 * The target applications: they make the Tap calls a scenario asks for and read Watch.
 * A shutdown step stops a TAPA's process (SIGTERM): its application stops using it.
 */
export class Application {
  private request = 0;
  private readonly open = new Set<string>();
  private readonly watchers: Watcher[] = [];
  private readonly queued = new Map<string, (() => void)[]>();
  private readonly busy = new Set<string>();
  /** TAPAs told to shut down, and whether they are done. */
  private readonly stopped = new Map<string, boolean>();

  constructor(
    private readonly scenario: Scenario,
    private readonly tapas: readonly TapaUnderTest[],
    /** Told of every Tap call made and every shutdown asked for, so that its answer can be awaited. */
    private readonly asked: (tapa: string, request: number) => void,
    /** Told when a shutdown is over (Tap calls are answered through the model's `reply`). */
    private readonly settled: (tapa: string, request: number) => void,
    /** Streams open before the run began (`tapa/conduit/stream` by number): a recorded application's. */
    open: readonly string[] = [],
  ) {
    for (const key of open) this.open.add(key);
  }

  handles(step: Step): boolean {
    return APP_STEPS.includes(step.kind);
  }

  apply(step: Step): void {
    const tapa = this.tapas[step.a % this.scenario.tapas]!;
    const conduit = step.b % this.scenario.conduits;
    if (this.stopped.has(tapa.name)) return;
    switch (step.kind) {
      case 'open':
      case 'close':
        return this.call(tapa, step.kind, conduit, step.c % this.scenario.streams);
      case 'openAll':
        for (const c of new Set([conduit, (conduit + 1) % this.scenario.conduits])) {
          for (let s = 0; s < this.scenario.streams; s++) this.call(tapa, 'open', c, s);
        }
        return;
      case 'closeAll':
        for (const key of [...this.open]) {
          const [name, c, s] = key.split('/');
          if (name === tapa.name) this.call(tapa, 'close', Number(c), Number(s));
        }
        return;
      case 'watch': {
        const only = step.c % 2 === 1 ? conduitName(conduit) : undefined;
        const watcher: Watcher = { tapa, conduit: only, last: undefined };
        this.watchers.push(watcher);
        const filter: TapStream | undefined = only === undefined ? undefined : { name: '', conduit: { name: only } };
        tapa.watch(this.watchers.length, filter, (statuses) => {
          watcher.last = statuses;
        });
        return;
      }
      case 'shutdown':
        return this.shutdown(tapa);
      default:
        return;
    }
  }

  /**
   * Calls already queued are never made, and a call in flight is still awaited. What the
   * application had open or watched no longer counts (its Watch streams end with the process): convergence for a stopped TAPA is
   * that it left nothing behind in the world (its `divergences` against an empty wish).
   */
  private shutdown(tapa: TapaUnderTest): void {
    this.stopped.set(tapa.name, false);
    this.queued.delete(tapa.name);
    for (const key of [...this.open]) if (key.startsWith(`${tapa.name}/`)) this.open.delete(key);
    const request = ++this.request;
    this.asked(tapa.name, request);
    tapa.shutdown(() => {
      this.stopped.set(tapa.name, true);
      this.settled(tapa.name, request);
    });
  }

  /**
   * What Watch last told each application, against the world at rest: exactly the
   * streams it has open (within its filter), OPEN exactly where its TAPA has an ENABLED
   * target. A Watch that stops updating fails here.
   */
  staleWatches(env: Models): string[] {
    const out: string[] = [];
    for (const [i, w] of this.watchers.entries()) {
      if (this.stopped.has(w.tapa.name)) continue;
      const expected = [...this.open]
        .map((key) => key.split('/'))
        .filter(([name, c]) => name === w.tapa.name && (w.conduit === undefined || conduitName(Number(c)) === w.conduit))
        .map(([, c, s]) => streamName(Number(c), Number(s)));
      const got = (w.last ?? []).map((s) => s.stream?.name ?? '');
      if ([...expected].sort().join() !== [...got].sort().join()) {
        out.push(`${w.tapa.name} Watch #${i + 1} shows [${got.join(', ')}], the application has [${expected.join(', ')}] open`);
        continue;
      }
      const enabled = new Set(
        viewOf(env, w.tapa)
          .targets.filter((t) => t.status === 'ENABLED')
          .map((t) => t.stream?.name),
      );
      for (const s of w.last ?? []) {
        const name = s.stream?.name ?? '';
        if ((s.status === 'OPEN') !== enabled.has(name))
          out.push(`${w.tapa.name} Watch #${i + 1} shows ${name} ${s.status}, its target is ${enabled.has(name) ? '' : 'not '}ENABLED`);
      }
    }
    return out;
  }

  /** An answer arrived: the application makes its next call, if it has one waiting. */
  answered(tapa: string): void {
    this.busy.delete(tapa);
    this.next(tapa);
  }

  /**
   * Like a real client, an application waits for the answer to one call before it makes
   * the next; two RPCs in flight at once could arrive in either order.
   */
  private call(tapa: TapaUnderTest, what: 'open' | 'close', conduit: number, stream: number): void {
    const key = `${tapa.name}/${conduit}/${stream}`;
    if (what === 'open') this.open.add(key);
    else this.open.delete(key);
    const msg: TapStream = { name: streamName(conduit, stream), conduit: { name: conduitName(conduit), trench: { name: TRENCH } } };
    const queue = this.queued.get(tapa.name) ?? [];
    queue.push(() => {
      const request = ++this.request;
      this.asked(tapa.name, request);
      tapa[what](request, msg);
    });
    this.queued.set(tapa.name, queue);
    this.next(tapa.name);
  }

  private next(tapa: string): void {
    if (this.busy.has(tapa)) return;
    const send = this.queued.get(tapa)?.shift();
    if (!send) return;
    this.busy.add(tapa);
    send();
  }

  /** Every call made and answered, every shutdown over, none waiting. */
  get idle(): boolean {
    return this.busy.size === 0 && ![...this.stopped.values()].includes(false);
  }
}
