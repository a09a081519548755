import type { CallError } from '../../core/index.js';
import type { Outcome } from '../../runner/transport.js';
import type { Scheduler } from '../kernel/index.js';
import type { Latency } from './latency.js';

/** The outcome of a call to a model, as a TAPA receives it: the runner's shape, shared by the lock-level models. */
export type { Outcome } from '../../runner/transport.js';

/** A live watch or monitor stream. */
export interface Subscription {
  readonly id: number;
  readonly server: string;
  cancel(): void;
}

/**
 * How a TAPA under test (the core, or a lock-level model of the Go code) reaches the
 * world. Every call takes two tasks: the model handles it on its own actor, then the
 * answer travels back on the caller's; separate calls can therefore overtake each
 * other, as separate RPCs do. Every message between a TAPA and a server (a request, an
 * answer, a stream message or its end) takes the latency drawn for that server.
 */
export class Ports {
  private nextSubscription = 1;
  private readonly live = new Map<number, LiveSubscription>();

  constructor(
    readonly scheduler: Scheduler,
    private readonly latency: Latency,
  ) {}

  call<T>(server: string, caller: string, label: string, work: () => T, done: (outcome: Outcome<T>) => void): void {
    this.send(server, server, label, () => {
      const outcome = attempt(work);
      const answer = outcome.ok ? 'ok' : outcome.error.code;
      this.send(server, caller, `${label} -> ${answer}`, () => done(outcome));
    });
  }

  /** A message between a TAPA and `server`, run by `actor` on arrival. */
  send(server: string, actor: string, label: string, run: () => void): void {
    this.scheduler.deliver(this.latency.of(server), actor, label, run);
  }

  /**
   * A server stream whose messages are the latest value of `read` (NSP watches: like
   * Meridio's capacity-1 channel with flush-before-send, a slow reader sees only the
   * newest list, and never an older one after a newer one). `changed()` on the returned
   * handle schedules a read unless one is already on its way.
   */
  latest<T>(
    server: string,
    caller: string,
    label: string,
    read: () => T,
    push: (value: T) => void,
    end: (error: CallError) => void,
  ): LatestStream {
    const id = this.nextSubscription++;
    let reading = false;
    let unread: { value: T } | undefined;
    const sub: LiveSubscription & LatestStream = {
      id,
      server,
      changed: () => {
        if (reading || !this.live.has(id)) return;
        reading = true;
        this.scheduler.spawn(server, `${label} push`, () => {
          reading = false;
          if (!this.live.has(id)) return;
          const outcome = attempt(read);
          if (!outcome.ok) return sub.fail(outcome.error);
          const delivering = unread !== undefined;
          unread = { value: outcome.value };
          if (delivering) return; // the delivery on its way will carry this newer value
          this.send(server, caller, `${label} message`, () => {
            const message = unread;
            unread = undefined;
            if (message && this.live.has(id)) push(message.value);
          });
        });
      },
      fail: (error: CallError) => {
        if (!this.live.delete(id)) return;
        unread = undefined;
        this.send(server, caller, `${label} ended ${error.code}`, () => end(error));
      },
      cancel: () => {
        this.live.delete(id);
      },
    };
    this.live.set(id, sub);
    sub.changed();
    return sub;
  }

  /** A server stream of events delivered in order (the NSM monitor). */
  ordered<T>(server: string, caller: string, label: string, push: (value: T) => void, end: (error: CallError) => void): OrderedStream<T> {
    const id = this.nextSubscription++;
    const queue: T[] = [];
    let pumping = false;
    const pump = (): void => {
      if (pumping || queue.length === 0 || !this.live.has(id)) return;
      pumping = true;
      this.send(server, caller, `${label} event`, () => {
        pumping = false;
        const next = queue.shift();
        if (next !== undefined && this.live.has(id)) push(next);
        pump();
      });
    };
    const sub: LiveSubscription & OrderedStream<T> = {
      id,
      server,
      send: (value: T) => {
        if (!this.live.has(id)) return;
        queue.push(value);
        pump();
      },
      fail: (error: CallError) => {
        if (!this.live.delete(id)) return;
        queue.length = 0;
        this.send(server, caller, `${label} ended ${error.code}`, () => end(error));
      },
      cancel: () => {
        this.live.delete(id);
      },
    };
    this.live.set(id, sub);
    return sub;
  }

  /** Ends every live stream of a server, as its restart or an outage does. */
  failAll(server: string, error: CallError): void {
    for (const sub of [...this.live.values()]) if (sub.server === server) sub.fail(error);
  }
}

interface LiveSubscription extends Subscription {
  fail(error: CallError): void;
}

export interface LatestStream extends Subscription {
  changed(): void;
  fail(error: CallError): void;
}

export interface OrderedStream<T> extends Subscription {
  send(value: T): void;
  fail(error: CallError): void;
}

/** Models signal a failed call by throwing; anything with a gRPC-like `code` keeps it. */
function attempt<T>(work: () => T): Outcome<T> {
  try {
    return { ok: true, value: work() };
  } catch (err) {
    const code = (err as { grpcCode?: CallError['code'] }).grpcCode ?? 'UNAVAILABLE';
    return { ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } };
  }
}
