import type { NspFlow, NspStream } from '../../../core/wire.js';
import { frame, recvCase, select, type Chan, type Context, type Go, type Mutex } from '../../goroutine/index.js';
import { formatPrefixes } from './addresses.js';
import {
  DEFAULT_MAX_TARGETS,
  go,
  SET_VIPS_RETRY_DELAY,
  TIMEOUT,
  WATCH_FLOW_RETRY_DELAY,
  WATCH_STREAM_RETRY_DELAY,
  type Proc,
} from './process.js';
import { retryDo } from './retry.js';
import { Inbox } from './rpc.js';

/** Flush-before-send on a capacity-1 channel: drop a stale value, then send (never blocks). */
function flushSend<T>(ch: Chan<T>, value: T): void {
  ch.tryRecv();
  ch.trySend(value);
}

/**
 * watchVIPs: the VIPs of every flow of the conduit, each once. Go collects them in a map,
 * in no particular order; the model sorts them (canonical) so that runs replay.
 */
function vipsOf(flows: readonly NspFlow[]): string[] {
  return [...new Set(formatPrefixes(flows.flatMap((f) => f.vips.map((v) => v.address))))].sort();
}

/**
 * Reads one NSP configuration watch (retried by the caller's retry.Do) and flushes every
 * message into `out`; returns the stream's error, or undefined when ctx ended.
 */
function* pump<T, U>(
  p: Proc,
  ctx: Context,
  name: string,
  open: (inbox: Inbox<T>) => { cancel(): void },
  convert: (v: T) => U,
  out: Chan<U>,
): Go<string | undefined> {
  const inbox = new Inbox<T>(p.rt, `${name}.recv`);
  const sub = open(inbox);
  for (;;) {
    const item = yield* inbox.receive(ctx);
    if (item === undefined) {
      sub.cancel();
      return undefined;
    }
    if ('error' in item) return item.error.message;
    flushSend(out, convert(item.value));
  }
}

/**
 * conduit.configurationImpl (ccfg.mu, L6): the NSP stream list of one conduit. Watch
 * starts G-watchStreams (WatchStream, retried every 500 ms) and G-streamHandler, which
 * feeds every list to streamManager.SetStreams.
 */
export class ConduitConfiguration {
  private readonly mu: Mutex;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly p: Proc,
    private readonly trench: string,
    private readonly conduit: string,
    private readonly setStreams: (list: readonly NspStream[]) => Go<void>,
  ) {
    this.mu = p.rt.mutex('ccfg.mu');
  }

  *watch(): Go<void> {
    yield* frame('conduit.(*configurationImpl).Watch', this.watchBody());
  }

  *stop(): Go<void> {
    yield* this.mu.lock();
    this.cancel?.();
    this.cancel = undefined;
    this.mu.unlock();
  }

  private *watchBody(): Go<void> {
    yield* this.mu.lock();
    if (this.cancel === undefined) {
      const { p, trench, conduit, setStreams } = this;
      const { ctx, cancel } = p.rt.withCancel(p.rt.background());
      this.cancel = cancel;
      const streamChan = p.rt.chan<NspStream[]>('streamChan', 1);
      go(p, 'conduit.(*configurationImpl).watchStreams', () =>
        retryDo(
          p.rt,
          ctx,
          'conduit.(*configurationImpl).watchStreams.func1',
          () =>
            pump<NspStream[], NspStream[]>(
              p,
              ctx,
              'WatchStream',
              (inbox) => p.env.watchStreams(p.spec.name, `${p.spec.name} WatchStream ${conduit}`, trench, conduit, inbox.push, inbox.end),
              (list) => list.map((s) => (s.maxTargets <= 0 ? { ...s, maxTargets: DEFAULT_MAX_TARGETS } : s)),
              streamChan,
            ),
          { delayMs: WATCH_STREAM_RETRY_DELAY, ignoreErrors: true },
        ),
      );
      go(p, 'conduit.(*configurationImpl).streamHandler', function* () {
        for (;;) {
          const r = yield* select(recvCase(streamChan), recvCase(ctx.done()));
          if (r.index === 1 || !r.ok) return;
          yield* setStreams(r.value);
        }
      });
    }
    this.mu.unlock();
  }
}

/**
 * trench.configurationImpl (tcfg.mu, L4): the VIPs of one conduit. Watch starts
 * G-watchVIPs (WatchFlow, retried every 2 s) and G-vipHandler, which retries
 * Conduit.SetVIPs every 1 s, 15 s per attempt, until it succeeds.
 */
export class TrenchConfiguration {
  private readonly mu: Mutex;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly p: Proc,
    private readonly trench: string,
    private readonly conduit: string,
    private readonly setVIPs: (ctx: Context, vips: readonly string[]) => Go<string | undefined>,
  ) {
    this.mu = p.rt.mutex('tcfg.mu');
  }

  *watch(): Go<void> {
    yield* frame('trench.(*configurationImpl).Watch', this.watchBody());
  }

  *stop(): Go<void> {
    yield* this.mu.lock();
    this.cancel?.();
    this.cancel = undefined;
    this.mu.unlock();
  }

  private *watchBody(): Go<void> {
    yield* this.mu.lock();
    if (this.cancel === undefined) {
      const { p, trench, conduit, setVIPs } = this;
      const { ctx, cancel } = p.rt.withCancel(p.rt.background());
      this.cancel = cancel;
      const vipChan = p.rt.chan<string[]>('vipChan', 1);
      go(p, 'trench.(*configurationImpl).watchVIPs', () =>
        retryDo(
          p.rt,
          ctx,
          'trench.(*configurationImpl).watchVIPs.func1',
          () =>
            pump<NspFlow[], string[]>(
              p,
              ctx,
              'WatchFlow',
              (inbox) => p.env.watchFlows(p.spec.name, `${p.spec.name} WatchFlow ${conduit}`, trench, conduit, inbox.push, inbox.end),
              vipsOf,
              vipChan,
            ),
          { delayMs: WATCH_FLOW_RETRY_DELAY, ignoreErrors: true },
        ),
      );
      go(p, 'trench.(*configurationImpl).vipHandler', function* () {
        for (;;) {
          const r = yield* select(recvCase(vipChan), recvCase(ctx.done()));
          if (r.index === 1 || !r.ok) return;
          const vips = r.value;
          yield* retryDo(
            p.rt,
            ctx,
            'trench.(*configurationImpl).vipHandler.func1',
            function* () {
              const attempt = p.rt.withTimeout(ctx, TIMEOUT);
              const err = yield* setVIPs(attempt.ctx, vips);
              attempt.cancel();
              return err;
            },
            { delayMs: SET_VIPS_RETRY_DELAY },
          );
        }
      });
    }
    this.mu.unlock();
  }
}
