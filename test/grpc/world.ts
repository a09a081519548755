import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import pino from 'pino';
import { connectionIdentity } from '../../src/core/index.js';
import { unary, serverStream } from '../../src/grpc/calls.js';
import { loadConfig } from '../../src/grpc/config.js';
import { startSidecar, type Sidecar, type SidecarOptions } from '../../src/grpc/sidecar.js';
import type { Logger } from '../../src/grpc/log.js';
import type { Security } from '../../src/grpc/security.js';
import { startEmbedded, type EmbeddedTls, type EmbeddedWorld } from '../../src/embedded/embedded.js';
import { TapService, type Stream, type StreamResponse } from '../../src/wire/ambassador/v1/tap.js';
import type { CallError } from '../../src/core/index.js';
import { scratchDir } from '../support/scratch.js';

/** A sidecar against the embedded NSP and NSM, over real sockets, with short real timeouts. */
export interface Rig {
  readonly world: EmbeddedWorld;
  readonly sidecar: Sidecar;
  readonly socket: string;
  /** The grpc.health.v1 socket of the chart's exec probes; per rig, never the default /tmp/health.sock. */
  readonly healthSocket: string;
  readonly env: Record<string, string>;
  /** `deadlineMs`: 5 s unless the call is expected to wait on more than the sidecar's round trips. */
  call(method: 'open' | 'close', stream: Stream, deadlineMs?: number): Promise<CallError | undefined>;
  watch(filter: Stream, onMessage: (r: StreamResponse) => void): { cancel(): void };
  connectionId(conduit: string): string;
  stop(): Promise<void>;
}

/** How the rig's sidecar and servers authenticate (plaintext when absent), and where the sidecar logs. */
export interface RigOptions {
  readonly tls?: EmbeddedTls;
  readonly security?: Security;
  readonly log?: Logger;
  /** Test-only sidecar options: a deliberately broken core, the watchdog's patience. */
  readonly sidecar?: SidecarOptions;
}

export async function rig(extra: Record<string, string> = {}, options: RigOptions = {}): Promise<Rig> {
  const dir = scratchDir('tapa-rig-');
  const world = await startEmbedded({
    nsmSocket: join(dir, 'nsm.sock'),
    entryTimeoutMs: 2_000,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const socket = join(dir, 'tapa.sock');
  const healthSocket = join(dir, 'health.sock');
  const env = {
    MERIDIO_NAME: 'target-a',
    MERIDIO_NODE: 'worker-1',
    MERIDIO_SOCKET: socket,
    MERIDIO_HEALTH_SOCKET: healthSocket,
    MERIDIO_NSP_ADDRESS: world.nspAddress,
    MERIDIO_NSM_SOCKET: world.nsmAddress,
    MERIDIO_NSP_ENTRY_TIMEOUT: '1s',
    MERIDIO_TIMEOUT: '3s',
    MERIDIO_GRPC_MAX_BACKOFF: '200ms',
    MERIDIO_LOG_LEVEL: 'ERROR',
    ...extra,
  };
  const sidecar = await startSidecar(loadConfig(env), options.log ?? pino({ level: 'silent' }), options.security, options.sidecar);
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  return {
    world,
    sidecar,
    socket,
    healthSocket,
    env,
    call: (method, stream, deadlineMs = 5_000) =>
      new Promise((resolve) => unary(client, TapService[method], stream, deadlineMs, (r) => resolve(r.ok ? undefined : r.error))),
    watch: (filter, onMessage) => serverStream(client, TapService.watch, filter, {}, onMessage, () => {}),
    connectionId: (conduit) => connectionIdentity('target-a', 'default', 'trench-a', conduit).id,
    stop: async () => {
      client.close();
      await sidecar.shutdown();
      await world.stop();
    },
  };
}

/** Waits for a condition of the world (never for a fixed time); fails with the last reason after `limitMs`. */
export async function eventually(check: () => void, limitMs = 15_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export function stream(name: string, conduit = 'load-balancer-a1', trench = 'trench-a'): Stream {
  return { name, conduit: { name: conduit, trench: { name: trench } } };
}
