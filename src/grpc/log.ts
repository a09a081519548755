import pino from 'pino';
import type { Config } from './config.js';

/**
 * The sidecar's structured log: one JSON object per line on stdout. Levels are written by
 * name ("level":"debug"), not as pino's numbers, because the readers are people and log
 * collectors that do not know pino's numbering.
 */

export type Logger = pino.Logger;

const PINO_LEVEL: Readonly<Record<Config['logLevel'], pino.Level>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** A logger at `level` writing to `destination` (stdout when omitted), with {service: 'tapa'} and an ISO time on every line. */
export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: PINO_LEVEL[level],
    base: { service: 'tapa' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** Where in the tap an effect or error happened; every line the sidecar logs about a trench carries it. */
export interface Scope {
  readonly trench: string;
  readonly conduit?: string;
  readonly stream?: string;
}

/** A child logger whose lines carry the trench, and the conduit and stream when given. */
export function scoped(logger: Logger, scope: Scope): Logger {
  const fields: Record<string, string> = { trench: scope.trench };
  if (scope.conduit !== undefined) fields['conduit'] = scope.conduit;
  if (scope.stream !== undefined) fields['stream'] = scope.stream;
  return logger.child(fields);
}
