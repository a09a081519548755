import type { CallError, Scope } from '../core/index.js';
import type { Cancellable, CallOptions, Outcome, PathToken, StreamRpcs, Transport, UnaryRpcs } from './transport.js';

/** A call the runner made that the script has not finished. */
export type ScriptedCall =
  | {
      readonly kind: 'unary';
      readonly rpc: keyof UnaryRpcs;
      readonly op: number;
      readonly scope: Scope;
      readonly request: unknown;
      /** Its deadline and headers. */
      readonly options: CallOptions;
      answer(outcome: Outcome<unknown>): void;
    }
  | {
      readonly kind: 'stream';
      readonly rpc: keyof StreamRpcs;
      readonly op: number;
      readonly scope: Scope;
      readonly request: unknown;
      readonly options: CallOptions;
      push(message: unknown): void;
      end(error?: CallError): void;
    }
  | { readonly kind: 'token'; readonly op: number; answer(outcome: Outcome<PathToken | undefined>): void };

/**
 * A transport driven by hand: every call waits in `calls` until the script answers it,
 * and the clock moves only when the script says. For a walk-through, a benchmark of the
 * runner and core without sockets, and tests that play a hostile world call by call.
 * Answers are the script's to give, so a transport's promise never to call back from
 * inside a call holds by construction.
 */
export class ScriptedTransport implements Transport {
  /** Calls made and neither finished nor cancelled, oldest first. */
  readonly calls = new Set<ScriptedCall>();
  private clock: number;
  private alarm: { readonly at: number; readonly wake: () => void } | undefined;

  constructor(start = 0) {
    this.clock = start;
  }

  now(): number {
    return this.clock;
  }

  /** When the runner wants to be woken next, if at all. */
  get wakeUpAt(): number | undefined {
    return this.alarm?.at;
  }

  wakeAt(at: number | undefined, wake: () => void): void {
    this.alarm = at === undefined ? undefined : { at, wake };
  }

  /** Moves the clock to the runner's next wake-up and wakes it; false when it wants none. */
  advance(): boolean {
    const alarm = this.alarm;
    if (!alarm) return false;
    this.alarm = undefined;
    this.clock = Math.max(this.clock, alarm.at);
    alarm.wake();
    return true;
  }

  /**
   * Moves the clock to `at` (never back), for a script with things of its own to do then,
   * and wakes the runner if its wake-up is due by then.
   */
  advanceTo(at: number): void {
    this.clock = Math.max(this.clock, at);
    if (this.alarm && this.alarm.at <= this.clock) this.advance();
  }

  unary<K extends keyof UnaryRpcs>(
    rpc: K,
    scope: Scope,
    request: UnaryRpcs[K]['request'],
    options: CallOptions,
    done: (o: Outcome<UnaryRpcs[K]['response']>) => void,
  ): Cancellable {
    const call: ScriptedCall = {
      kind: 'unary',
      rpc,
      op: options.op,
      scope,
      request,
      options,
      answer: (outcome) => {
        if (this.calls.delete(call)) done(outcome as Outcome<UnaryRpcs[K]['response']>);
      },
    };
    return this.track(call);
  }

  stream<K extends keyof StreamRpcs>(
    rpc: K,
    scope: Scope,
    request: StreamRpcs[K]['request'],
    options: CallOptions,
    message: (value: StreamRpcs[K]['message']) => void,
    end: (error?: CallError) => void,
  ): Cancellable {
    const call: ScriptedCall = {
      kind: 'stream',
      rpc,
      op: options.op,
      scope,
      request,
      options,
      push: (value) => {
        if (this.calls.has(call)) message(value as StreamRpcs[K]['message']);
      },
      end: (error) => {
        if (this.calls.delete(call)) end(error);
      },
    };
    return this.track(call);
  }

  token(op: number, done: (outcome: Outcome<PathToken | undefined>) => void): Cancellable {
    const call: ScriptedCall = {
      kind: 'token',
      op,
      answer: (outcome) => {
        if (this.calls.delete(call)) done(outcome);
      },
    };
    return this.track(call);
  }

  release(): void {}

  private track(call: ScriptedCall): Cancellable {
    this.calls.add(call);
    return { cancel: () => void this.calls.delete(call) };
  }
}
