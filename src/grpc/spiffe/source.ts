import * as grpc from '@grpc/grpc-js';
import { SpiffeWorkloadAPIService, type X509SVIDResponse } from '../../wire/spiffe/workload/workload.js';
import { serverStream } from '../calls.js';
import type { Cancellable } from '../../runner/transport.js';
import { parseSvid, type Svid } from './svid.js';

export interface SourceLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Every Workload API call must carry this header; agents refuse calls without it. */
const SECURITY_HEADER = { 'workload.spiffe.io': 'true' } as const;
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * The workload's current X.509 SVID, kept up to date from the SPIFFE Workload API: one
 * FetchX509SVID stream, re-opened with back-off when it ends. The agent pushes a new
 * message on every rotation; listeners hear of each change.
 */
export class X509Source {
  private svid: Svid | undefined;
  private readonly listeners = new Set<(svid: Svid) => void>();
  private readonly firstListeners = new Set<(svid: Svid) => void>();
  private readonly client: grpc.Client;
  private call: Cancellable | undefined;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  /** Why there is no SVID yet, for the waiting log line. */
  private problem = 'no answer yet';

  constructor(
    /** A gRPC target: unix:///path or host:port. */
    readonly target: string,
    private readonly log: SourceLogger,
  ) {
    this.client = new grpc.Client(target, grpc.credentials.createInsecure());
    this.open();
  }

  current(): Svid | undefined {
    return this.svid;
  }

  /** Calls `listener` on every new SVID or bundle after the first. */
  onRotation(listener: (svid: Svid) => void): void {
    this.listeners.add(listener);
  }

  /**
   * The first SVID. Like the Go TAPA, the sidecar cannot do anything useful before it
   * has one, so it waits as long as it takes, saying so every `reportEveryMs`.
   */
  first(reportEveryMs = 5_000): Promise<Svid> {
    if (this.svid) return Promise.resolve(this.svid);
    return new Promise((resolve) => {
      const waiting = (): void =>
        this.log.info({ endpoint: this.target, problem: this.problem }, 'waiting for an X.509 SVID from the SPIFFE Workload API');
      waiting();
      const report = setInterval(waiting, reportEveryMs);
      const got = (svid: Svid): void => {
        clearInterval(report);
        this.firstListeners.delete(got);
        resolve(svid);
      };
      this.firstListeners.add(got);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.call?.cancel();
    this.client.close();
  }

  private open(): void {
    this.call = serverStream(
      this.client,
      SpiffeWorkloadAPIService.fetchX509Svid,
      {},
      { waitForReady: true, headers: SECURITY_HEADER },
      (response) => this.receive(response),
      (error) => this.ended(error?.message ?? 'the agent closed the stream'),
    );
  }

  private receive(response: X509SVIDResponse): void {
    const first = response.svids[0];
    if (!first) {
      this.problem = 'the Workload API answered without an SVID';
      this.log.warn({ endpoint: this.target }, this.problem);
      return;
    }
    let svid: Svid;
    try {
      svid = parseSvid(first);
    } catch (err) {
      this.problem = (err as Error).message;
      this.log.warn({ endpoint: this.target, spiffeId: first.spiffeId, error: this.problem }, 'unusable X.509 SVID from the Workload API');
      return;
    }
    this.failures = 0;
    const previous = this.svid;
    if (previous && previous.chainPem === svid.chainPem && previous.bundlePem === svid.bundlePem) return;
    this.svid = svid;
    this.log.info(
      { spiffeId: svid.spiffeId, serial: svid.serial, notAfter: new Date(svid.notAfterMs).toISOString() },
      previous ? 'X.509 SVID rotated' : 'X.509 SVID received',
    );
    for (const listener of previous ? this.listeners : this.firstListeners) listener(svid);
  }

  private ended(reason: string): void {
    if (this.closed) return;
    this.problem = reason;
    const delay = Math.min(RETRY_FIRST_MS * 2 ** this.failures, RETRY_MAX_MS);
    this.failures++;
    this.log.warn({ endpoint: this.target, error: reason, retryInMs: delay }, 'the SPIFFE Workload API stream ended');
    this.retry = setTimeout(() => this.open(), delay);
  }
}
