import { limits } from './config.js';
import type { Turn } from './turn.js';
import type { NetworkServiceRequest } from './wire.js';

/** The kernel mechanism parameter that names the pod's interface of a connection. */
export const INTERFACE_NAME_KEY = 'name';

const PREFIX = 'nsm-';

/** Linux's limit on an interface name (IFNAMSIZ less its NUL). */
const MAX_INTERFACE_NAME = 15;

/**
 * The pod's interface of a connection, as Meridio's interface name client names it:
 * `nsm-<k>`, k the lowest number no connection of this TAPA holds. The forwarder makes
 * the interface under this name and refuses a name the pod already has, so a name stays
 * with its connection id across refreshes and reselects, and is held for a while after
 * the connection is gone, while the old interface may still be torn down.
 */
export function interfaceNameOf(turn: Turn, connection: string): string {
  const names = turn.state.interfaceNames;
  const held = names.get(connection);
  if (held) {
    turn.cancelTimer(held.release);
    held.release = undefined;
    return held.name;
  }
  const taken = new Set([...names.values()].map((n) => n.name));
  let k = 0;
  while (taken.has(`${PREFIX}${k}`)) k++;
  const name = `${PREFIX}${k}`;
  // Unreachable with fewer than 10^11 conduits; a name Linux refuses must not go out.
  if (name.length > MAX_INTERFACE_NAME) throw new Error(`interface name ${name} is longer than ${MAX_INTERFACE_NAME} characters`);
  names.set(connection, { name, release: undefined });
  return name;
}

/**
 * A connection a previous incarnation left behind keeps its interface: its name becomes
 * the connection's. False when another connection of this TAPA already holds the name
 * (it asked before the monitor reported the old one): the old interface must then go,
 * by a reselect under a name of our own.
 */
export function claimInterfaceName(turn: Turn, connection: string, name: string): boolean {
  const names = turn.state.interfaceNames;
  for (const [other, held] of names) if (other !== connection && held.name === name) return false;
  turn.cancelTimer(names.get(connection)?.release);
  names.set(connection, { name, release: undefined });
  return true;
}

/** The connection is gone: its name is free again once the release delay has passed. */
export function releaseInterfaceName(turn: Turn, connection: string): void {
  const held = turn.state.interfaceNames.get(connection);
  if (!held || held.release !== undefined) return;
  held.release = turn.setTimer({ kind: 'interfaceName', connection }, limits.interfaceNameReleaseMs);
}

export function onInterfaceNameTimer(turn: Turn, connection: string, timer: number): void {
  const names = turn.state.interfaceNames;
  if (names.get(connection)?.release === timer) names.delete(connection);
}

/** The process is done: no interface outlives it in its memory, and no timer may. */
export function forgetInterfaceNames(turn: Turn): void {
  for (const held of turn.state.interfaceNames.values()) turn.cancelTimer(held.release);
  turn.state.interfaceNames.clear();
}

/** The request as sent: every kernel mechanism it prefers asks for the connection's interface name. */
export function withInterfaceName(request: NetworkServiceRequest, name: string): NetworkServiceRequest {
  return {
    ...request,
    mechanismPreferences: request.mechanismPreferences.map((m) =>
      m.type === 'KERNEL' ? { ...m, parameters: { ...m.parameters, [INTERFACE_NAME_KEY]: name } } : m,
    ),
  };
}
