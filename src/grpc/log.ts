import pino from 'pino';
import { format } from 'node:util';
import type { LogLevel } from './config.js';
import { onLevelSignals, type LevelSignal } from './log-level-signals.js';

/**
 * The sidecar's structured log: one JSON object per line on stdout, in the Go TAPA's format
 * (zap JSON as Meridio configures it), because operators' log pipelines parse its fields:
 *
 *   {"severity":"info","timestamp":"2024-05-06T07:08:09.12+00:00","service_id":"Meridio-tapa",
 *    "message":"...","version":"1.0.0","extra_data":{...the line's fields...}}
 *
 * `severity` is one of debug (also for trace lines), info, warning, error, critical;
 * `version` is the version of this log format, which Go writes as the constant 1.0.0.
 */

export type Logger = pino.Logger;

const SERVICE_ID = 'Meridio-tapa';
const FORMAT_VERSION = '1.0.0';

const PINO_LEVEL: Readonly<Record<LogLevel, pino.Level>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
  fatal: 'critical',
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * `at` in Go's layout 2006-01-02T15:04:05.999-07:00, in the zone `offsetMinutes` east of UTC:
 * milliseconds without trailing zeros (and no dot when they are all zero), and the offset
 * always numeric, +00:00 for UTC.
 */
export function goTimestamp(at: number, offsetMinutes: number): string {
  const local = new Date(at + offsetMinutes * 60_000);
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const millis = pad(local.getUTCMilliseconds(), 3).replace(/0+$/, '');
  const offset = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`;
  return `${date}T${time}${millis === '' ? '' : `.${millis}`}${zone}`;
}

/** Errors become their message, as Go writes an error field: JSON would make an Error `{}`. */
function plain(fields: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? value.message : value]));
}

/**
 * A logger at `level` writing to `destination` (stdout when omitted). `now` is the clock of
 * the timestamps, in the process's time zone as Go's are.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream, now: () => number = Date.now): Logger {
  const options: pino.LoggerOptions = {
    level: PINO_LEVEL[level],
    base: { service_id: SERVICE_ID },
    timestamp: () => {
      const at = now();
      return `,"timestamp":"${goTimestamp(at, -new Date(at).getTimezoneOffset())}"`;
    },
    formatters: { level: (label) => ({ severity: SEVERITY[label] ?? label }) },
    hooks: {
      // Every call becomes one object in Go's field order; pino would put the message last
      // and the fields at the top level.
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        const fields = typeof first === 'object' && first !== null ? (first instanceof Error ? { error: first } : first) : {};
        const words = typeof first === 'string' ? [first, ...rest] : rest;
        const message = words.length > 0 ? format(...words) : first instanceof Error ? first.message : '';
        const extra = plain(fields);
        method.call(this, { message, version: FORMAT_VERSION, extra_data: extra } as unknown as string);
      },
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * Sets the level of `log` and says so, as Go does on SIGUSR1 and SIGUSR2, in a line written
 * while the more verbose of the two levels holds, so that it is seen whichever way it goes.
 */
export function changeLevel(log: Logger, level: LogLevel): void {
  const from = log.level;
  const to = PINO_LEVEL[level];
  if (from === to) return;
  const line = (): void => log.info({ from: from.toUpperCase(), to: level }, `log level changed to ${level}`);
  const moreVerbose = log.levels.values[to]! < log.levels.values[from]!;
  if (!moreVerbose) line();
  log.level = to;
  if (moreVerbose) line();
}

/** The Go TAPA's meanings of the two signals: the configured level again, or TRACE. */
const LEVEL_ON: Readonly<Record<LevelSignal, LogLevel | 'configured'>> = { SIGUSR1: 'configured', SIGUSR2: 'TRACE' };

/** From now on SIGUSR1 sets `log` back to `configured` and SIGUSR2 sets it to TRACE, as in the Go TAPA. */
export function changeLevelOnSignals(log: Logger, configured: LogLevel): void {
  onLevelSignals((signal) => {
    const wanted = LEVEL_ON[signal];
    changeLevel(log, wanted === 'configured' ? configured : wanted);
  });
}
