import { FAULT } from '../world/environment.js';
import type { LogEntry } from '../kernel/index.js';
import { STEP_KINDS, type StepKind } from '../harness/scenario.js';

/** What a step is, for its marker: the external steps stand out from the TAPA's own work. */
export type MarkKind = 'tap-call' | 'configuration' | 'nsm-event' | 'monitor' | 'confirmation' | 'fault' | 'refused' | 'step';

/** The legend, in the order it is shown. */
export const MARK_KINDS: readonly { readonly kind: MarkKind; readonly short: string; readonly text: string }[] = [
  { kind: 'tap-call', short: 'Tap call', text: 'Tap.Open / Tap.Close call' },
  { kind: 'configuration', short: 'NSP config change', text: 'NSP configuration change (VIPs, streams)' },
  { kind: 'nsm-event', short: 'NSM event', text: 'NSM event (heal, down, drop, lost addresses)' },
  { kind: 'monitor', short: 'monitor report', text: 'connection monitor report reaching the TAPA (local IPs)' },
  { kind: 'confirmation', short: 'NSP confirmation', text: 'NSP confirmation (register / unregister answered)' },
  { kind: 'fault', short: 'fault', text: 'fault (NSP restart or outage, NSM errors)' },
  { kind: 'refused', short: 'failed call', text: 'a call that failed' },
  { kind: 'step', short: 'other step', text: 'any other step' },
];

const BY_STEP: Record<StepKind, MarkKind> = {
  open: 'tap-call',
  close: 'tap-call',
  openAll: 'tap-call',
  closeAll: 'tap-call',
  watch: 'tap-call',
  vips: 'configuration',
  streamConfig: 'configuration',
  heal: 'nsm-event',
  down: 'nsm-event',
  drop: 'nsm-event',
  loseAddresses: 'nsm-event',
  nspRestart: 'fault',
  nspOutage: 'fault',
  nsmErrors: 'fault',
  shutdown: 'fault',
};

/** The scenario's steps are logged as `kind a=.. b=.. c=..` by the application or the world. */
const SCENARIO_STEP = /^(\w+) a=\d+ b=\d+ c=\d+$/;

export function markKind(entry: LogEntry): MarkKind {
  const step = SCENARIO_STEP.exec(entry.label)?.[1];
  if (step !== undefined && (STEP_KINDS as readonly string[]).includes(step)) return BY_STEP[step as StepKind];
  if (entry.actor === FAULT) return 'fault';
  const label = entry.label;
  if (/^Tap\.(Open|Close) /.test(label)) return 'tap-call';
  if (/ MonitorConnections .* event$/.test(label)) return 'monitor';
  if (/ (register|unregister) .* -> ok$/.test(label)) return 'confirmation';
  if (/ -> [A-Z_]+$/.test(label)) return 'refused';
  return 'step';
}
