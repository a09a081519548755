#!/usr/bin/env node
import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, Option } from 'commander';
import { command } from '../command.js';
import type { CallError } from '../core/index.js';
import { unary } from './calls.js';
import { DurationError, parseDuration } from './duration.js';
import { HealthCheck } from './health.js';

/**
 * grpc_health_probe (grpc-ecosystem/grpc-health-probe) as far as Meridio's target chart uses it:
 * its exec probes run `/bin/grpc_health_probe -addr=unix:///tmp/health.sock -service=Startup
 * -connect-timeout=100ms -rpc-timeout=150ms` in the TAPA container. Same flags (less TLS), same
 * exit codes, same messages, so that kubelet's probe events read as they do with the Go tool.
 */

/** grpc_health_probe's documented exit codes; 0 is SERVING. */
const EXIT = { invalidArguments: 1, connectionFailure: 2, rpcFailure: 3, unhealthy: 4 } as const;

interface Options {
  addr: string;
  service: string;
  connectTimeout: number;
  rpcTimeout: number;
}

/** One line on stderr, unprefixed like the Go tool's log: kubelet quotes it in the probe's event. */
function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** Go's flag.Duration, and grpc_health_probe then refuses zero or less. */
function positiveDuration(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (e) {
    if (e instanceof DurationError) throw new InvalidArgumentError(e.reason);
    throw e;
  }
  if (!(ms > 0)) throw new InvalidArgumentError('must be greater than zero');
  return ms;
}

function target(value: string): string {
  if (value === '') throw new InvalidArgumentError('must not be empty');
  return value;
}

function rpcFailure(error: CallError, o: Options): string {
  switch (error.code) {
    case 'UNIMPLEMENTED':
      return 'error: this server does not implement the grpc health protocol (grpc.health.v1.Health)';
    case 'DEADLINE_EXCEEDED':
      return `timeout: health rpc did not complete within ${o.rpcTimeout}ms`;
    default:
      return `error: health rpc failed: ${error.code}: ${error.message}`;
  }
}

function probe(o: Options): void {
  let client: grpc.Client;
  try {
    client = new grpc.Client(o.addr, grpc.credentials.createInsecure(), { 'grpc.primary_user_agent': 'grpc_health_probe' });
  } catch (err) {
    fail(`error: failed to connect service at ${JSON.stringify(o.addr)}: ${(err as Error).message}`, EXIT.connectionFailure);
  }
  client.waitForReady(Date.now() + o.connectTimeout, (err) => {
    if (err) fail(`timeout: failed to connect service ${JSON.stringify(o.addr)} within ${o.connectTimeout}ms`, EXIT.connectionFailure);
    unary(client, HealthCheck, { service: o.service }, o.rpcTimeout, (result) => {
      if (!result.ok) fail(rpcFailure(result.error, o), EXIT.rpcFailure);
      if (result.value.status !== 'SERVING')
        fail(`service unhealthy (responded with ${JSON.stringify(result.value.status)})`, EXIT.unhealthy);
      process.stdout.write(`status: ${result.value.status}\n`);
      process.exit(0);
    });
  });
}

const program = command(
  'tapa-health-probe',
  'grpc_health_probe for the TAPA container: checks grpc.health.v1 and exits 0 when SERVING',
  EXIT.invalidArguments,
)
  // kubelet quotes a failed probe's output in an event: the error line, not the help.
  .showHelpAfterError(false)
  .addOption(new Option('--addr <target>', 'the gRPC target, such as unix:///tmp/health.sock').argParser(target).makeOptionMandatory())
  .option('--service <name>', 'the service to check', '')
  .addOption(new Option('--connect-timeout <duration>', 'the connection timeout').default(1_000, '1s').argParser(positiveDuration))
  .addOption(new Option('--rpc-timeout <duration>', 'the health check timeout').default(1_000, '1s').argParser(positiveDuration))
  .action(probe);

// Go's flag package reads -flag and --flag alike; commander's long options need two dashes.
program.parse(
  process.argv.slice(2).map((arg) => arg.replace(/^-(?=[a-z][a-z-]+(=|$))/i, '--')),
  { from: 'user' },
);
