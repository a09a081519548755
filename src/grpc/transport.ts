import * as grpc from '@grpc/grpc-js';
import type { CallError, Scope } from '../core/index.js';
import type { Cancellable, CallOptions, Outcome, PathToken, StreamRpcs, Transport, UnaryRpcs } from '../runner/transport.js';
import { MonitorConnectionService } from '../wire/networkservice/connection.js';
import { NetworkServiceService } from '../wire/networkservice/networkservice.js';
import { ConfigurationManagerService } from '../wire/nsp/v1/configurationmanager.js';
import { TargetRegistryService } from '../wire/nsp/v1/targetregistry.js';
import { serverStream, unary, type Method } from './calls.js';
import type { Logger } from './log.js';
import type { NetnsHandover } from './fd/netns.js';
import type { Security } from './security.js';

/** Where the NSP of a trench and the NSM are, and how to reach them. */
export interface Endpoints {
  nspAddress(trench: string): string;
  /** A grpc-js target, e.g. unix:///var/lib/networkservicemesh/nsm.io.sock. */
  readonly nsmAddress: string;
  /** When set, NSM is reached through it, which hands the pod's network namespace over with every Request and Close. */
  readonly netns?: NetnsHandover;
  readonly security: Security;
  /** Reconnect back-off is capped at this (MERIDIO_GRPC_MAX_BACKOFF). */
  readonly maxBackoffMs: number;
}

/** How long a token waits for the NSM channel's handshake, which names the token's audience. */
const NSM_HANDSHAKE_MS = 5_000;

/** A refused handshake is reported at most this often per peer. */
const DIAGNOSE_EVERY_MS = 30_000;

type Peer = 'nsp' | 'nsm';

/** Each call of the runner: the generated method, the peer it goes to, and for streams what of a message the runner wants. */
const UNARY: { readonly [K in keyof UnaryRpcs]: { readonly peer: Peer; readonly method: Method<UnaryRpcs[K]['request'], unknown> } } = {
  register: { peer: 'nsp', method: TargetRegistryService.register },
  unregister: { peer: 'nsp', method: TargetRegistryService.unregister },
  nsmRequest: { peer: 'nsm', method: NetworkServiceService.request },
  nsmClose: { peer: 'nsm', method: NetworkServiceService.close },
};

interface StreamRoute<Req, Res, Message> {
  readonly peer: Peer;
  readonly method: Method<Req, Res>;
  readonly message: (response: Res) => Message;
}

function route<Req, Res, Message>(
  peer: Peer,
  method: Method<Req, Res>,
  message: (response: Res) => Message,
): StreamRoute<Req, Res, Message> {
  return { peer, method, message };
}

const STREAM = {
  getTargets: route('nsp', TargetRegistryService.watch, (r) => r.targets),
  watchStreams: route('nsp', ConfigurationManagerService.watchStream, (r) => r.streams),
  watchFlows: route('nsp', ConfigurationManagerService.watchFlow, (r) => r.flows),
  monitorConnections: route('nsm', MonitorConnectionService.monitorConnections, (event) => event),
} satisfies { readonly [K in keyof StreamRpcs]: StreamRoute<StreamRpcs[K]['request'], any, StreamRpcs[K]['message']> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- each route has its own response type

/**
 * The runner's transport in production: grpc-js channels to the NSP of each trench and
 * to NSM, with the security in force, and the wall clock.
 */
export class GrpcTransport implements Transport {
  private readonly nsp = new Map<string, grpc.Client>();
  private nsm: grpc.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When each peer's failing handshake was last explained in the log. */
  private readonly diagnosed = new Map<string, number>();

  constructor(
    private readonly endpoints: Endpoints,
    private readonly log: Logger,
  ) {
    endpoints.security.onRotation(() => this.rotate());
  }

  now(): number {
    return Date.now();
  }

  wakeAt(at: number | undefined, wake: () => void): void {
    clearTimeout(this.timer);
    this.timer = at === undefined ? undefined : setTimeout(wake, Math.max(0, at - Date.now()));
  }

  unary<K extends keyof UnaryRpcs>(
    rpc: K,
    scope: Scope,
    request: UnaryRpcs[K]['request'],
    options: CallOptions,
    done: (o: Outcome<UnaryRpcs[K]['response']>) => void,
  ): Cancellable {
    const { peer, method } = UNARY[rpc] as { peer: Peer; method: Method<UnaryRpcs[K]['request'], UnaryRpcs[K]['response']> };
    return unary(this.client(peer, scope), method, this.handOver(rpc, request), remaining(options), done, options.headers);
  }

  /** NSM finds the interface's namespace through the request: see NetnsHandover. */
  private handOver<K extends keyof UnaryRpcs>(rpc: K, request: UnaryRpcs[K]['request']): UnaryRpcs[K]['request'] {
    const netns = this.endpoints.netns;
    if (netns === undefined) return request;
    if (rpc === 'nsmRequest') return netns.request(request as UnaryRpcs['nsmRequest']['request']) as UnaryRpcs[K]['request'];
    if (rpc === 'nsmClose') return netns.close(request as UnaryRpcs['nsmClose']['request']) as UnaryRpcs[K]['request'];
    return request;
  }

  stream<K extends keyof StreamRpcs>(
    rpc: K,
    scope: Scope,
    request: StreamRpcs[K]['request'],
    options: CallOptions,
    message: (value: StreamRpcs[K]['message']) => void,
    end: (error?: CallError) => void,
  ): Cancellable {
    const {
      peer,
      method,
      message: read,
    } = STREAM[rpc] as unknown as StreamRoute<StreamRpcs[K]['request'], unknown, StreamRpcs[K]['message']>;
    const deadlineMs = options.deadline === undefined ? {} : { deadlineMs: remaining(options) };
    return serverStream(
      this.client(peer, scope),
      method,
      request,
      { ...deadlineMs, ...(options.headers ? { headers: options.headers } : {}) },
      (r) => message(read(r)),
      end,
    );
  }

  /**
   * With mTLS the token is addressed to the NSM manager, known from the handshake of the NSM
   * channel: the channel connects first.
   */
  token(_op: number, done: (outcome: Outcome<PathToken | undefined>) => void): Cancellable {
    let wanted = true;
    const sign = (): void =>
      void this.endpoints.security.nsmToken().then(
        (value) => wanted && done({ ok: true, value }),
        (err: Error) => wanted && done({ ok: false, error: { code: 'UNAUTHENTICATED', message: err.message } }),
      );
    if (this.endpoints.security.mode === 'plaintext') sign();
    else {
      this.client('nsm').waitForReady(Date.now() + NSM_HANDSHAKE_MS, (err) => {
        if (!wanted) return;
        if (!err) return sign();
        done({
          ok: false,
          error: { code: 'UNAVAILABLE', message: `no TLS handshake with NSM within ${NSM_HANDSHAKE_MS} ms: ${err.message}` },
        });
      });
    }
    return { cancel: () => void (wanted = false) };
  }

  release(trench: string): void {
    this.nsp.get(trench)?.close();
    this.nsp.delete(trench);
  }

  /** Closes every channel: the process is going away. */
  close(): void {
    clearTimeout(this.timer);
    for (const c of this.nsp.values()) c.close();
    this.nsp.clear();
    this.nsm?.close();
    this.nsm = undefined;
  }

  private client(peer: 'nsm'): grpc.Client;
  private client(peer: Peer, scope: Scope): grpc.Client;
  private client(peer: Peer, scope?: Scope): grpc.Client {
    if (peer === 'nsm' || scope === undefined) {
      this.nsm ??= this.channel('nsm', this.endpoints.netns?.address ?? this.endpoints.nsmAddress);
      return this.nsm;
    }
    let client = this.nsp.get(scope.trench);
    if (!client) {
      client = this.channel('nsp', this.endpoints.nspAddress(scope.trench));
      this.nsp.set(scope.trench, client);
    }
    return client;
  }

  /**
   * A rotated SVID applies to new connections only, so new calls go out on new channels.
   * The old channels stop taking calls but finish what they carry: answers in flight
   * and open watches keep going on the old certificate, as with Go's TLS.
   */
  private rotate(): void {
    for (const client of this.nsp.values()) client.close();
    this.nsp.clear();
    this.nsm?.close();
    this.nsm = undefined;
    this.log.info({}, 'SVID rotated: new NSP and NSM calls use new channels');
  }

  private channel(peer: Peer, target: string): grpc.Client {
    const client = new grpc.Client(target, this.endpoints.security.credentials(peer), {
      // Without keepalive a re-created NSP Service took minutes to be noticed (Meridio PR #349).
      'grpc.keepalive_time_ms': 20_000,
      'grpc.max_reconnect_backoff_ms': this.endpoints.maxBackoffMs,
      'grpc.initial_reconnect_backoff_ms': Math.min(1_000, this.endpoints.maxBackoffMs),
    });
    this.explainFailures(client, target);
    return client;
  }

  /** With mTLS, a channel that cannot connect gets its reason explained in the log. */
  private explainFailures(client: grpc.Client, target: string): void {
    if (this.endpoints.security.mode !== 'mtls') return;
    const channel = client.getChannel();
    const follow = (state: grpc.connectivityState): void =>
      channel.watchConnectivityState(state, Infinity, () => {
        const next = channel.getConnectivityState(false);
        if (next === grpc.connectivityState.SHUTDOWN) return;
        if (next === grpc.connectivityState.TRANSIENT_FAILURE) this.diagnose(target);
        follow(next);
      });
    follow(channel.getConnectivityState(false));
  }

  private diagnose(target: string): void {
    const now = Date.now();
    if (now - (this.diagnosed.get(target) ?? -Infinity) < DIAGNOSE_EVERY_MS) return;
    this.diagnosed.set(target, now);
    void this.endpoints.security.diagnose(target).then((reason) => {
      if (reason) this.log.warn({ target, reason }, `cannot connect to ${target} with mTLS: ${reason}`);
    });
  }
}

function remaining(options: CallOptions): number {
  return options.deadline === undefined ? Infinity : Math.max(0, options.deadline - Date.now());
}
