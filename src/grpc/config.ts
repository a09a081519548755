import { DurationError, parseDuration } from './duration.js';

/**
 * The sidecar's configuration, read from the same environment variables as Meridio's Go TAPA
 * (cmd/tapa, kelseyhightower/envconfig with prefix MERIDIO), with the same defaults, so a pod
 * spec written for the Go TAPA works unchanged.
 *
 * envconfig semantics kept: a prefixed variable wins over its unprefixed fallback even when
 * it is empty, and an empty string is a valid value for a string field. Stricter than Go,
 * because a mistake here otherwise surfaces much later as a hung connection: an empty or
 * non-positive duration, a port outside 1..65535, an unknown log level and an NSM socket that
 * is not a unix:// URL are all rejected at startup.
 */

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** MERIDIO_NAME: the target name; the NSM client name and the prefix of its connection IDs. */
  readonly name: string;
  /** MERIDIO_NODE: the nodeName label of NSM requests. */
  readonly node: string;
  /** MERIDIO_NAMESPACE: the namespace of the trenches (NSP service DNS name, network service name). */
  readonly namespace: string;
  /** MERIDIO_SOCKET: the path of the TAPA's own Unix socket, where applications connect. */
  readonly socket: string;
  /** MERIDIO_NSM_SOCKET (or NSM_SOCKET): the NSMgr socket path, taken from a unix:// URL. */
  readonly nsmSocket: string;
  /** MERIDIO_NSP_SERVICE_NAME (or NSP_SERVICE_NAME): the prefix of each trench's NSP service DNS name. */
  readonly nspServiceName: string;
  /** MERIDIO_NSP_SERVICE_PORT (or NSP_SERVICE_PORT): the NSP service port. */
  readonly nspServicePort: number;
  /** MERIDIO_TIMEOUT: NSM connect and SetVIPs attempts, Tap.Close and each Trench.Delete phase. */
  readonly timeoutMs: number;
  /** MERIDIO_DIAL_TIMEOUT: the NSMgr dial timeout. */
  readonly dialTimeoutMs: number;
  /** MERIDIO_MAX_TOKEN_LIFETIME: the lifetime of the SPIFFE JWTs sent to NSM. */
  readonly maxTokenLifetimeMs: number;
  /** MERIDIO_LOG_LEVEL: the lowest level logged (case-insensitive on input, upper case here). */
  readonly logLevel: LogLevel;
  /** MERIDIO_NSP_ENTRY_TIMEOUT (or NSP_ENTRY_TIMEOUT): the target refresh period; the monitor Stop timeout is twice this. */
  readonly nspEntryTimeoutMs: number;
  /** MERIDIO_GRPC_MAX_BACKOFF (or GRPC_MAX_BACKOFF): the gRPC reconnect backoff ceiling (NSP and NSM). */
  readonly grpcMaxBackoffMs: number;
  /** MERIDIO_GRPC_PROBE_RPC_TIMEOUT (or GRPC_PROBE_RPC_TIMEOUT): the internal health probe's RPC timeout. */
  readonly grpcProbeRpcTimeoutMs: number;
  /** MERIDIO_SOCKET_MODE (ours, not Go's): the permission bits of the TAPA socket; Go hard-codes 0777. */
  readonly socketMode: number;
  /**
   * MERIDIO_HEALTH_SOCKET (ours, not Go's): where the chart's exec probes find grpc.health.v1;
   * Go hard-codes /tmp/health.sock. Undefined when set empty: no health socket.
   */
  readonly healthSocket: string | undefined;
  /** MERIDIO_NSP_ADDRESS (ours, not Go's): a host:port that replaces every trench's NSP service address (tests, embedded mode). */
  readonly nspAddress: string | undefined;
  /**
   * SPIFFE_ENDPOINT_SOCKET (the SPIFFE standard's name, unprefixed, as go-spiffe reads it):
   * the Workload API, as a gRPC target; undefined when unset.
   */
  readonly spiffeEndpoint: string | undefined;
  /** MERIDIO_RECORD_EVENTS (ours): how many of the last events the flight recorder keeps; 0 turns it off. */
  readonly recordEvents: number;
  /**
   * MERIDIO_RECORD_DIR (ours): where recordings are written by themselves, when the core breaks
   * an invariant, the sidecar crashes or its shutdown runs out of time; undefined: nowhere.
   */
  readonly recordDir: string | undefined;
}

/** A configuration variable with a value the sidecar cannot use; the message names both. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`${variable}=${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** One variable as envconfig resolves it: the prefixed name first, then the unprefixed fallback. */
interface Lookup {
  readonly variable: string;
  readonly value: string;
}

function lookup(env: Environment, names: readonly string[]): Lookup | undefined {
  for (const variable of names) {
    const value = env[variable];
    if (value !== undefined) return { variable, value };
  }
  return undefined;
}

function string(env: Environment, names: readonly string[], fallback: string): string {
  return lookup(env, names)?.value ?? fallback;
}

function duration(env: Environment, names: readonly string[], fallbackMs: number): number {
  const found = lookup(env, names);
  if (found === undefined) return fallbackMs;
  const expected = 'a Go duration such as 15s or 1m30s';
  let ms: number;
  try {
    ms = parseDuration(found.value);
  } catch (e) {
    if (e instanceof DurationError) throw new ConfigError(found.variable, found.value, `${expected} (${e.reason})`);
    throw e;
  }
  // A zero or negative timeout, period or backoff would make the sidecar spin or give up at once.
  if (!(ms > 0)) throw new ConfigError(found.variable, found.value, `a positive duration, ${expected}`);
  return ms;
}

/**
 * Decimal without a leading zero: envconfig parses ints with base 0, so Go reads "010" as 8
 * and "0x1E62" as 7778. Rejecting those forms is safer than reading them differently.
 */
function port(value: string): number | undefined {
  if (!/^[1-9][0-9]{0,4}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 65535 ? n : undefined;
}

function integerPort(env: Environment, names: readonly string[], fallback: number): number {
  const found = lookup(env, names);
  if (found === undefined) return fallback;
  return port(found.value) ?? fail(found, 'a decimal port number from 1 to 65535 without a leading zero');
}

function logLevel(env: Environment): LogLevel {
  const found = lookup(env, ['MERIDIO_LOG_LEVEL']);
  if (found === undefined) return 'DEBUG';
  const upper = found.value.toUpperCase();
  return LOG_LEVELS.find((l) => l === upper) ?? fail(found, `one of ${LOG_LEVELS.join(', ')} (any case)`);
}

/** Go reads a url.URL and dials unix:<path>; only the unix scheme makes sense for the NSMgr socket. */
function unixSocketPath(env: Environment): string {
  const found = lookup(env, ['MERIDIO_NSM_SOCKET', 'NSM_SOCKET']);
  if (found === undefined) return '/var/lib/networkservicemesh/nsm.io.sock';
  const expected = 'a unix:// URL with an absolute path, such as unix:///var/lib/networkservicemesh/nsm.io.sock';
  const match = /^unix:\/\/(\/[^?#]*)$/.exec(found.value);
  const encoded = match?.[1];
  if (encoded === undefined || encoded === '/') return fail(found, expected);
  try {
    return decodeURIComponent(encoded);
  } catch {
    return fail(found, expected);
  }
}

function socketMode(env: Environment): number {
  const found = lookup(env, ['MERIDIO_SOCKET_MODE']);
  if (found === undefined) return 0o777;
  if (!/^0?[0-7]{1,3}$/.test(found.value)) return fail(found, 'octal permission bits such as 0777 or 0660');
  return parseInt(found.value, 8);
}

function healthSocket(env: Environment): string | undefined {
  const found = lookup(env, ['MERIDIO_HEALTH_SOCKET']);
  if (found === undefined) return '/tmp/health.sock';
  if (found.value === '') return undefined;
  // The probes name it in a unix:///absolute/path address.
  return found.value.startsWith('/') ? found.value : fail(found, 'an absolute path such as /tmp/health.sock, or empty for none');
}

/**
 * On by default: its memory no longer grows with the events a big state makes, only with
 * the state once (a copy of it at the ring's start, about 0.25 KB a stream). 4096 events
 * take about 2 MB (half a kilobyte each, effects included): 4.3 MB in all at 10,000
 * streams (bench: runner.recorder_heap_mb; its cost: runner.recorder_cost_ratio, README).
 */
const RECORD_EVENTS = 4096;

function recordEvents(env: Environment): number {
  const found = lookup(env, ['MERIDIO_RECORD_EVENTS']);
  if (found === undefined) return RECORD_EVENTS;
  if (!/^(0|[1-9][0-9]{0,8})$/.test(found.value)) return fail(found, 'a number of events such as 4096, or 0 to turn the recorder off');
  return Number(found.value);
}

function recordDir(env: Environment): string | undefined {
  const found = lookup(env, ['MERIDIO_RECORD_DIR']);
  if (found === undefined || found.value === '') return undefined;
  return found.value.startsWith('/') ? found.value : fail(found, 'an absolute path such as /var/lib/tapa/recordings, or empty for none');
}

function nspAddress(env: Environment): string | undefined {
  const found = lookup(env, ['MERIDIO_NSP_ADDRESS']);
  if (found === undefined) return undefined;
  const match = /^(\[[^\]]+\]|[^:[\]]+):([0-9]+)$/.exec(found.value);
  if (match === null || port(match[2] ?? '') === undefined) {
    return fail(found, 'host:port with a port from 1 to 65535, such as nsp.example:7778 or [::1]:7778');
  }
  return found.value;
}

/** go-spiffe accepts unix:///absolute/path and tcp://IP:port, nothing else. */
function spiffeEndpoint(env: Environment): string | undefined {
  const found = lookup(env, ['SPIFFE_ENDPOINT_SOCKET']);
  if (found === undefined) return undefined;
  const unix = /^unix:\/\/(\/[^?#]+)$/.exec(found.value);
  if (unix) return `unix://${unix[1]}`;
  const tcp = /^tcp:\/\/([0-9.]+|\[[0-9a-fA-F:.]+\]):([0-9]+)$/.exec(found.value);
  if (tcp && port(tcp[2] ?? '') !== undefined) return `${tcp[1]}:${tcp[2]}`;
  return fail(found, 'unix:///path/to/agent.sock or tcp://IP:port, such as unix:///run/spire/sockets/agent.sock');
}

function fail(found: Lookup, expected: string): never {
  throw new ConfigError(found.variable, found.value, expected);
}

/** Reads the configuration from `env` (normally process.env); throws ConfigError on the first bad value. */
export function loadConfig(env: Environment): Config {
  return {
    name: string(env, ['MERIDIO_NAME'], 'nsc'),
    node: string(env, ['MERIDIO_NODE'], ''),
    namespace: string(env, ['MERIDIO_NAMESPACE'], 'default'),
    socket: string(env, ['MERIDIO_SOCKET'], '/ambassador.sock'),
    nsmSocket: unixSocketPath(env),
    nspServiceName: string(env, ['MERIDIO_NSP_SERVICE_NAME', 'NSP_SERVICE_NAME'], 'nsp-service'),
    nspServicePort: integerPort(env, ['MERIDIO_NSP_SERVICE_PORT', 'NSP_SERVICE_PORT'], 7778),
    timeoutMs: duration(env, ['MERIDIO_TIMEOUT'], 15_000),
    dialTimeoutMs: duration(env, ['MERIDIO_DIAL_TIMEOUT'], 5_000),
    maxTokenLifetimeMs: duration(env, ['MERIDIO_MAX_TOKEN_LIFETIME'], 24 * 3_600_000),
    logLevel: logLevel(env),
    nspEntryTimeoutMs: duration(env, ['MERIDIO_NSP_ENTRY_TIMEOUT', 'NSP_ENTRY_TIMEOUT'], 30_000),
    grpcMaxBackoffMs: duration(env, ['MERIDIO_GRPC_MAX_BACKOFF', 'GRPC_MAX_BACKOFF'], 5_000),
    grpcProbeRpcTimeoutMs: duration(env, ['MERIDIO_GRPC_PROBE_RPC_TIMEOUT', 'GRPC_PROBE_RPC_TIMEOUT'], 1_000),
    socketMode: socketMode(env),
    healthSocket: healthSocket(env),
    nspAddress: nspAddress(env),
    spiffeEndpoint: spiffeEndpoint(env),
    recordEvents: recordEvents(env),
    recordDir: recordDir(env),
  };
}

/** The NSP address of a trench, as Go builds it: `<service>-<trench>.<namespace>:<port>`, unless overridden. */
export function nspAddressOf(config: Config, trench: string): string {
  return config.nspAddress ?? `${config.nspServiceName}-${trench}.${config.namespace}:${config.nspServicePort}`;
}
