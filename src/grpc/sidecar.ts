import { randomInt, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { CoreFault } from '../runner/core-fault.js';
import { Runner } from '../runner/runner.js';
import { snapshot } from '../runner/snapshot.js';
import { nspAddressOf, type Config } from './config.js';
import { flightRecorderServer, FlightRecorderService } from './flight-recorder.js';
import { Health } from './health.js';
import type { Logger } from './log.js';
import { plaintext, type Security } from './security.js';
import { newServer } from './server-options.js';
import { CheckedTapService, tapServer } from './tap-server.js';
import { removeLeftDialers } from './fd/left-dialers.js';
import { NetnsHandover } from './fd/netns.js';
import { GrpcTransport } from './transport.js';
import { serveOn } from './unix-socket.js';
import { writeRecording } from './record-dir.js';
import { Watchdog } from './watchdog.js';
import { trimCHeap } from './c-heap.js';

export interface Sidecar {
  /** Unregisters every target and closes every NSM connection (bounded by MERIDIO_TIMEOUT), then stops serving. */
  shutdown(): Promise<'clean' | 'timed out'>;
  /** Writes the flight recording into MERIDIO_RECORD_DIR, if both are on; returns the file. */
  dump(why: string): string | undefined;
  readonly runner: Runner;
}

/** Tests only. */
export interface SidecarOptions {
  /** Run a deliberately broken core (see core-fault.ts). */
  readonly fault?: CoreFault;
  /** How long the event loop may stand still before the watchdog dumps a recording; STUCK_MS otherwise. */
  readonly stuckMs?: number;
}

/**
 * The event loop may stand still this long before the watchdog takes a recording. One
 * event takes well under a millisecond and a burst of thousands some tens: seconds
 * mean a core stuck in a loop (or a host that stopped us, which a dump does not hurt).
 */
const STUCK_MS = 2_000;

/** Target-protocol calls in flight to one NSP; the others queue (see Gate). */
const NSP_CALLS_IN_FLIGHT = 256;

/**
 * The production TAPA: the runner with the grpc-js transport, behind the Tap API on a
 * unix socket.
 */
export async function startSidecar(
  config: Config,
  log: Logger,
  security: Security = plaintext,
  options: SidecarOptions = {},
): Promise<Sidecar> {
  let accepting = true;
  const left = await removeLeftDialers(tmpdir());
  if (left.length > 0) log.info({ removed: left }, 'removed the dial directories of sidecars that were killed');
  const netns = await NetnsHandover.start(config.nsmSocket);
  const transport = new GrpcTransport(
    {
      nspAddress: (trench) => nspAddressOf(config, trench),
      nsmAddress: `unix://${config.nsmSocket}`,
      netns,
      security,
      maxBackoffMs: config.grpcMaxBackoffMs,
    },
    log,
  );
  const healthSocket = config.healthSocket === undefined ? undefined : { variable: 'MERIDIO_HEALTH_SOCKET', path: config.healthSocket };
  const health = new Health(healthSocket);
  const runner: Runner = new Runner(transport, {
    // Identifiers are drawn from a seeded generator inside the core; in production the
    // seed itself is random, so that pods do not all draw the same sequence.
    seed: randomInt(2 ** 31),
    config: {
      name: config.name,
      node: config.node,
      namespace: config.namespace,
      nspEntryTimeoutMs: config.nspEntryTimeoutMs,
      timeoutMs: config.timeoutMs,
    },
    nspCallsInFlight: NSP_CALLS_IN_FLIGHT,
    newSegmentId: randomUUID,
    log,
    assertions: 'amortized',
    broken: (violations, event) => {
      log.error({ violations, event, state: snapshot(runner.state) }, 'the core broke its invariants: Liveness is now NOT_SERVING');
      health.broken();
      dump('invariant');
    },
    recordEvents: config.recordEvents,
    ...(options.fault ? { fault: options.fault } : {}),
  });
  const dump = (why: string): string | undefined => {
    const recording = config.recordDir === undefined ? undefined : runner.recording(why);
    if (!recording || config.recordDir === undefined) return undefined;
    try {
      const file = writeRecording(config.recordDir, recording, new Date(), process.pid);
      log.warn({ file, why }, 'flight recording written');
      return file;
    } catch (err) {
      log.error({ dir: config.recordDir, error: (err as Error).message }, 'cannot write the flight recording');
      return undefined;
    }
  };
  // The dump is what the watchdog is for: without a directory to write to, no thread is spent on it.
  const watchdog =
    config.recordDir === undefined || config.recordEvents === 0
      ? undefined
      : new Watchdog(options.stuckMs ?? STUCK_MS, (stuckFor) => {
          log.error({ stuckFor }, 'the event loop has not turned for seconds: writing a flight recording');
          dump('stuck');
        });
  const cHeap = trimCHeap((why) => log.warn({ why }, 'the C heap is not trimmed: freed memory stays with the process'));
  health.addLocal(
    FlightRecorderService,
    flightRecorderServer((why) => runner.recording(why)),
  );
  const server = newServer();
  server.addService(
    CheckedTapService,
    tapServer(runner, () => accepting),
  );
  health.addTo(server);
  const tap = await serveOn(server, { variable: 'MERIDIO_SOCKET', path: config.socket, mode: config.socketMode }, log).catch(
    (err: unknown) => {
      netns.dispose();
      watchdog?.stop();
      cHeap.stop();
      throw err;
    },
  );
  await health.serving().catch((err: unknown) => {
    // The start fails: the Tap socket goes too rather than staying behind, unanswered.
    tap.close();
    server.forceShutdown();
    netns.dispose();
    watchdog?.stop();
    cHeap.stop();
    throw err;
  });
  log.info({ socket: config.socket, health: config.healthSocket, nsm: config.nsmSocket, security: security.mode }, 'serving the Tap API');

  return {
    runner,
    dump,
    shutdown: async () => {
      accepting = false;
      health.stopping();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await new Promise<'clean' | 'timed out'>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), config.timeoutMs);
        runner.shutdown(() => resolve('clean'));
      });
      clearTimeout(timer);
      if (outcome === 'timed out') dump('shutdown timed out');
      // Watch streams never end on their own; the core has finished, so cut them.
      server.forceShutdown();
      health.close();
      runner.dispose();
      transport.close();
      netns.dispose();
      watchdog?.stop();
      cHeap.stop();
      tap.close();
      log.info({ outcome }, 'stopped');
      return outcome;
    },
  };
}
