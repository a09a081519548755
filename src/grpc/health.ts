import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, service, type ServingStatus } from 'grpc-health-check';
import type { Method } from './calls.js';
import type { SocketPath } from './socket-path.js';
import { serveOn, type UnixSocket } from './unix-socket.js';

export interface HealthCheckRequest {
  readonly service: string;
}

/** `status` as the enum's name: SERVING, NOT_SERVING, UNKNOWN or (Watch only) SERVICE_UNKNOWN. */
export interface HealthCheckResponse {
  readonly status: string;
}

// proto-loader types every message as `object`; grpc.health.v1 fixes these two.
export const HealthCheck = service['Check'] as unknown as Method<HealthCheckRequest, HealthCheckResponse>;
export const HealthWatch = service['Watch'] as unknown as Method<HealthCheckRequest, HealthCheckResponse>;

/** The probe services of Meridio's health server (pkg/health), which the target chart's exec probes query. */
const PROBES = ['Startup', 'Readiness', 'Liveness'] as const;

/** Services that report the core's health: "" as on the Go TAPA's Tap socket, and Liveness. */
const WATCHED = ['', 'Liveness'] as const;

/**
 * The sidecar's grpc.health.v1 statuses, served on the Tap socket and on the health socket.
 * Go's TAPA stays SERVING while deadlocked. This one answers on its event loop, so a
 * loop held by one event answers nothing, and the probe's deadline fails it (see Watchdog
 * for what the sidecar does then); and a core that broke an invariant is NOT_SERVING.
 */
export class Health {
  private readonly statuses = new HealthImplementation({
    '': 'SERVING',
    Startup: 'NOT_SERVING',
    Readiness: 'NOT_SERVING',
    Liveness: 'SERVING',
  });
  private readonly server = new grpc.Server();
  private served: UnixSocket | undefined;

  constructor(private readonly socket: SocketPath | undefined) {
    this.statuses.addToServer(this.server);
  }

  /** Also answers on the Tap socket, where Go's TAPA serves grpc.health.v1 and older charts probe it. */
  addTo(server: grpc.Server): void {
    this.statuses.addToServer(server);
  }

  /** Also serves this service on the health socket, and only there: it is for people on the pod, not for applications. */
  addLocal(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    this.server.addService(definition, implementation);
  }

  /** The Tap socket serves: the probes may now pass. */
  async serving(): Promise<void> {
    if (this.socket !== undefined) this.served = await serveOn(this.server, this.socket);
    this.set(['Startup', 'Readiness'], 'SERVING');
  }

  /** The core is in a state it should never be in: Liveness fails for good, so that the kubelet restarts us. */
  broken(): void {
    this.set(WATCHED, 'NOT_SERVING');
  }

  /** Shutting down: every service NOT_SERVING, for good. */
  stopping(): void {
    this.set(['', ...PROBES], 'NOT_SERVING');
  }

  close(): void {
    this.served?.close();
    this.server.forceShutdown();
  }

  private set(services: readonly string[], status: ServingStatus): void {
    for (const service of services) this.statuses.setStatus(service, status);
  }
}
