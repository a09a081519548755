import * as grpc from '@grpc/grpc-js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, exit } from '../command.js';
import { version } from '../version.js';
import { debugReport } from './debug-report.js';
import { writeOutFile } from './out-file.js';
import { TapService, type Stream } from '../wire/ambassador/v1/tap.js';
import { serverStream, unary } from '../grpc/calls.js';
import { FlightRecorderService } from '../grpc/flight-recorder.js';
import { ConfigError, loadConfig, type Config } from '../grpc/config.js';
import { changeLevelOnSignals, createLogger, type Logger } from '../grpc/log.js';
import { plaintext, spiffeSecurity, type Security } from '../grpc/security.js';
import { startSidecar } from '../grpc/sidecar.js';
import { X509Source } from '../grpc/spiffe/source.js';

function fail(message: string, code: number): never {
  exit('tapa', message, code);
}

function config(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
}

const program = command('tapa', "Meridio's Target Access Point Ambassador: a drop-in for the Go TAPA sidecar").option(
  '--debug',
  'print the debug information (network interfaces, routes, neighbours, system, environment) as one JSON line and quit',
);
program.on('option:debug', () => {
  process.stdout.write(`${debugReport(version())}\n`);
  process.exit(0);
});

/**
 * mTLS unless told otherwise, like the Go TAPA, which cannot start without the SPIFFE
 * Workload API. Until the agent hands out an SVID there is nothing the sidecar could do,
 * so it waits, as Go does, and says so.
 */
async function security(cfg: Config, log: Logger, insecure: boolean): Promise<{ security: Security; close(): void }> {
  if (insecure) {
    log.warn({}, 'plaintext: NSP and NSM are reached without TLS or tokens');
    return { security: plaintext, close: () => {} };
  }
  if (cfg.spiffeEndpoint === undefined) {
    fail(
      'SPIFFE_ENDPOINT_SOCKET is not set: it must name the SPIFFE Workload API (e.g. unix:///run/spire/sockets/agent.sock), which provides the mTLS identity for NSP and NSM; pass --plaintext to run without TLS',
      2,
    );
  }
  const source = new X509Source(cfg.spiffeEndpoint, log);
  const first = await source.first();
  return { security: spiffeSecurity(source, first, cfg.maxTokenLifetimeMs), close: () => source.close() };
}

program
  .command('serve')
  .description('run the sidecar: the Tap API on MERIDIO_SOCKET, configured by the MERIDIO_* variables')
  .option('--embedded', "also run the simulator's NSP and NSM in this process, with Meridio's example trench (implies --plaintext)")
  .option('--plaintext', 'reach NSP and NSM without TLS and without NSM tokens (tests and demos only; the SPIFFE Workload API is not used)')
  .action(async (o: { embedded?: boolean; plaintext?: boolean }) => {
    let env: NodeJS.ProcessEnv = process.env;
    let stopEmbedded = async (): Promise<void> => {};
    if (o.embedded) {
      // Loaded only here: production never runs the embedded world models.
      const { startEmbedded } = await import('../embedded/embedded.js');
      const world = await startEmbedded({ nsmSocket: join(tmpdir(), `tapa-nsm-${process.pid}.sock`) });
      process.stdout.write(`embedded NSP at ${world.nspAddress}\nembedded NSM at ${world.nsmAddress}\n`);
      env = { ...process.env, MERIDIO_NSP_ADDRESS: world.nspAddress, MERIDIO_NSM_SOCKET: world.nsmAddress };
      stopEmbedded = () => world.stop();
    }
    const cfg = config(env);
    const log = createLogger(cfg.logLevel);
    changeLevelOnSignals(log, cfg.logLevel);
    const identity = await security(cfg, log, o.plaintext === true || o.embedded === true);
    const sidecar = await startSidecar(cfg, log, identity.security).catch((err: Error) =>
      fail(err.message, err instanceof ConfigError ? 2 : 1),
    );
    // A crash is an incident like any other: what led to it goes into MERIDIO_RECORD_DIR first.
    process.on('uncaughtException', (err) => {
      log.fatal({ error: err.stack ?? String(err) }, 'crashed');
      sidecar.dump('crash');
      process.exit(1);
    });
    let stopping = false;
    const stop = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      await sidecar.shutdown();
      identity.close();
      await stopEmbedded();
      process.exit(0);
    };
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.on(signal, () => void stop(signal));
  });

interface ClientOptions {
  trench: string;
  conduit: string;
  stream: string;
  socket?: string;
}

function client(o: ClientOptions): { client: grpc.Client; stream: Stream } {
  const socket = o.socket ?? config(process.env).socket;
  return {
    client: new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure()),
    stream: { name: o.stream, conduit: { name: o.conduit, trench: { name: o.trench } } },
  };
}

for (const [name, method] of [
  ['open', TapService.open],
  ['close', TapService.close],
] as const) {
  program
    .command(name)
    .description(`Tap.${name === 'open' ? 'Open' : 'Close'} a stream, like Meridio's example target-client`)
    .requiredOption('-t, --trench <name>')
    .requiredOption('-c, --conduit <name>')
    .requiredOption('-s, --stream <name>')
    .option('--socket <path>', 'the TAPA socket (default: MERIDIO_SOCKET or /ambassador.sock)')
    .action((o: ClientOptions) => {
      const { client: c, stream } = client(o);
      unary(c, method, stream, 10_000, (result) => {
        c.close();
        if (!result.ok) fail(`${name}: ${result.error.code}: ${result.error.message}`, 1);
        process.stdout.write(`${name} ${o.trench}/${o.conduit}/${o.stream}: OK\n`);
      });
    });
}

program
  .command('watch')
  .description('Tap.Watch: print every status update of the matching streams as a JSON line')
  .option('-t, --trench <name>', 'trench (empty: any)', '')
  .option('-c, --conduit <name>', 'conduit (empty: any)', '')
  .option('-s, --stream <name>', 'stream (empty: any)', '')
  .option('--socket <path>', 'the TAPA socket (default: MERIDIO_SOCKET or /ambassador.sock)')
  .action((o: ClientOptions) => {
    const { client: c, stream } = client(o);
    serverStream(
      c,
      TapService.watch,
      stream,
      { waitForReady: false },
      (r) =>
        process.stdout.write(
          `${JSON.stringify(r.streamStatus.map((s) => ({ stream: s.stream?.name, conduit: s.stream?.conduit?.name, trench: s.stream?.conduit?.trench?.name, status: s.status })))}\n`,
        ),
      (error) => {
        c.close();
        if (error && error.code !== 'CANCELLED') fail(`watch: ${error.code}: ${error.message}`, 1);
      },
    );
  });

program
  .command('record')
  .description("write the sidecar's flight recording (its last events, without secrets) to a file, for tapa-sim replay")
  .requiredOption(
    '--out <file>',
    'where to write the recording (JSON; - for standard output); a new file is made readable by its owner alone, a symbolic link is refused',
  )
  .option('--socket <path>', 'the health socket (default: MERIDIO_HEALTH_SOCKET or /tmp/health.sock)')
  .option('--why <text>', 'why it is made, kept in the recording (e.g. an incident number)', 'on demand')
  .action((o: { out: string; socket?: string; why: string }) => {
    const socket = o.socket ?? config(process.env).healthSocket;
    if (socket === undefined) fail('MERIDIO_HEALTH_SOCKET is empty: the sidecar serves no health socket; pass --socket', 2);
    const c = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
    const chunks: Buffer[] = [];
    serverStream(
      c,
      FlightRecorderService.record,
      { why: o.why },
      { deadlineMs: 30_000, waitForReady: false },
      (chunk) => chunks.push(chunk.data),
      (error) => {
        c.close();
        if (error) fail(`record: ${error.code}: ${error.message}`, 1);
        const data = Buffer.concat(chunks);
        if (o.out === '-') return void process.stdout.write(data);
        try {
          writeOutFile(o.out, data);
        } catch (err) {
          fail((err as Error).message, 1);
        }
        process.stdout.write(`recording of ${socket} written to ${o.out} (${data.length} bytes)\n`);
      },
    );
  });

// Go's flag package takes -debug, -help and -version with one dash; operators' scripts do.
const GO_FLAGS = new Set(['-debug', '-help', '-version']);
program.parse(process.argv.map((arg, i) => (i >= 2 && GO_FLAGS.has(arg) ? `-${arg}` : arg)));
