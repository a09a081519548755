import type { Connection, MonitorScopeSelector } from '../../core/wire.js';
import { copyMessage } from './message.js';

/** Whether a MonitorConnections stream with this selector sees the connection. */
export function inScope(connection: Connection, selector: MonitorScopeSelector): boolean {
  const ids = new Set(selector.pathSegments.map((s) => s.id));
  return connection.path?.pathSegments.some((s) => ids.has(s.id)) ?? false;
}

/**
 * A connection as NSM reports it to a monitor: a copy seen from the next hop, path index
 * 1, which is what a restarted Meridio TAPA looks for to take its connection over.
 */
export function monitorView(connection: Connection): Connection {
  const view = copyMessage(connection);
  if (view.path) view.path.index = 1;
  return view;
}
