import * as grpc from '@grpc/grpc-js';
import { chmodSync, rmSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { nspAddressOf, type Config } from './config.js';
import { Executor } from './executor.js';
import { Health } from './health.js';
import type { Logger } from './log.js';
import { Runtime } from './runtime.js';
import { plaintext, type Security } from './security.js';
import { CheckedTapService, tapServer } from './tap-server.js';
import { serveOn } from './unix-socket.js';

export interface Sidecar {
  /** Unregisters every target and closes every NSM connection (bounded by MERIDIO_TIMEOUT), then stops serving. */
  shutdown(): Promise<'clean' | 'timed out'>;
  readonly runtime: Runtime;
}

/**
 * The production TAPA: the core behind the Tap API on a unix socket, talking to the
 * NSP of each trench and to NSM over gRPC.
 */
export async function startSidecar(config: Config, log: Logger, security: Security = plaintext): Promise<Sidecar> {
  let accepting = true;
  let executor: Executor | undefined;
  // Identifiers are drawn from a seeded generator inside the core; in production the
  // seed itself is random, so that pods do not all draw the same sequence.
  const runtime = new Runtime(randomInt(2 ** 31), {
    name: config.name,
    node: config.node,
    namespace: config.namespace,
    nspEntryTimeoutMs: config.nspEntryTimeoutMs,
    timeoutMs: config.timeoutMs,
  }, (effect) => executor?.execute(effect));
  executor = new Executor(
    {
      nspAddress: (trench) => nspAddressOf(config, trench),
      nsmAddress: `unix://${config.nsmSocket}`,
      security,
      name: config.name,
      maxBackoffMs: config.grpcMaxBackoffMs,
    },
    (event) => runtime.dispatch(event),
    log,
  );
  const server = new grpc.Server();
  server.addService(CheckedTapService, tapServer((event) => runtime.dispatch(event), executor, () => accepting));
  const health = new Health(config.healthSocket, () => runtime.busyFor());
  health.addTo(server);
  await serveOn(server, config.socket);
  chmodSync(config.socket, config.socketMode);
  await health.serving();
  log.info({ socket: config.socket, health: config.healthSocket, nsm: config.nsmSocket, security: security.mode }, 'serving the Tap API');

  return {
    runtime,
    shutdown: async () => {
      accepting = false;
      health.stopping();
      const done = new Promise<'clean'>((resolve) => executor!.onShutdownComplete(() => resolve('clean')));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'timed out'>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), config.timeoutMs);
      });
      runtime.dispatch({ kind: 'shutdown' });
      const outcome = await Promise.race([done, late]);
      clearTimeout(timer);
      // Watch streams never end on their own; the core has finished, so cut them.
      server.forceShutdown();
      health.close();
      executor!.close();
      rmSync(config.socket, { force: true });
      log.info({ outcome }, 'stopped');
      return outcome;
    },
  };
}
