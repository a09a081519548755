import * as grpc from '@grpc/grpc-js';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unary } from '../src/grpc/calls.js';
import { SIDECAR_NODE_FLAGS } from '../src/grpc/node-flags.js';
import { TapService, type Stream } from '../src/wire/ambassador/v1/tap.js';
import { benchStream, type EnabledQuery, type ToWorld, type WorldMessage } from './world.js';

const STARTUP_MS = 30_000;
const TSX = ['--import', 'tsx'];

/**
 * A sidecar process (`tapa serve`) against a world process (bench/world-process.ts), with
 * a Tap client on the sidecar's unix socket. Everything lives in one temporary directory
 * and both processes are killed however the bench ends.
 */
export class SidecarUnderTest {
  private readonly answers = new Map<number, (answer: { enabled: number; at: number }) => void>();
  private nextQuery = 1;

  private constructor(
    private readonly dir: string,
    private readonly world: ChildProcess,
    private readonly sidecar: ChildProcess,
    private readonly client: grpc.Client,
    private readonly bare: grpc.Client,
    private readonly kill: () => void,
  ) {
    world.on('message', (m: WorldMessage) => {
      if ('answered' in m) this.answers.get(m.answered)?.(m);
    });
  }

  /** `nodeFlags`: how Node runs the sidecar; production's by default. `env`: MERIDIO_* settings besides the bench's own. */
  static async start(
    conduits: number,
    streams: number,
    nodeFlags: readonly string[] = SIDECAR_NODE_FLAGS,
    env: Readonly<Record<string, string>> = {},
  ): Promise<SidecarUnderTest> {
    const dir = mkdtempSync(join(tmpdir(), 'tapa-bench-'));
    const world = fork(
      new URL('./world-process.ts', import.meta.url),
      [join(dir, 'nsm.sock'), String(conduits), String(streams), join(dir, 'bare.sock')],
      {
        execArgv: TSX,
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      },
    );
    let sidecar: ChildProcess | undefined;
    // However the bench ends, neither child outlives it; stop() takes this back.
    const kill = (): void => {
      world.kill('SIGKILL');
      sidecar?.kill('SIGKILL');
    };
    process.once('exit', kill);
    const ready = await withTimeout(
      new Promise<{ nspAddress: string; nsmAddress: string }>((resolve, reject) => {
        world.on('message', (m: WorldMessage) => 'ready' in m && resolve(m.ready));
        world.once('exit', (code) => reject(new Error(`the world process exited with ${code}`)));
      }),
      STARTUP_MS,
      'the world process did not start',
    );
    const socket = join(dir, 'tapa.sock');
    // The compiled sidecar, as production runs it (`npm run bench` builds it first).
    sidecar = spawn(process.execPath, [...nodeFlags, new URL('../dist/cli/tapa.js', import.meta.url).pathname, 'serve', '--plaintext'], {
      env: {
        ...process.env,
        MERIDIO_NAME: 'bench',
        MERIDIO_NODE: 'worker-1',
        MERIDIO_SOCKET: socket,
        MERIDIO_HEALTH_SOCKET: join(dir, 'health.sock'),
        MERIDIO_NSP_ADDRESS: ready.nspAddress,
        MERIDIO_NSM_SOCKET: ready.nsmAddress,
        MERIDIO_LOG_LEVEL: 'ERROR',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (const until = Date.now() + STARTUP_MS; !existsSync(socket); await sleep(20)) {
      if (Date.now() > until || sidecar.exitCode !== null) throw new Error('the sidecar did not start serving');
    }
    const client = (path: string): grpc.Client => new grpc.Client(`unix://${path}`, grpc.credentials.createInsecure());
    const s = new SidecarUnderTest(dir, world, sidecar, client(socket), client(join(dir, 'bare.sock')), kill);
    // Closing a stream that was never opened changes nothing: a readiness probe through the core.
    await s.call('close', benchStream(0, 0));
    return s;
  }

  /** Tap.Open; resolves with its round trip in ms. */
  async open(stream: Stream): Promise<number> {
    const t0 = performance.now();
    await this.call('open', stream);
    return performance.now() - t0;
  }

  /** The same Open message to a bare grpc-js server in the world process, over a unix socket: its round trip in ms. */
  async bareOpen(stream: Stream): Promise<number> {
    const t0 = performance.now();
    await this.call('open', stream, this.bare);
    return performance.now() - t0;
  }

  /** Resolves once the world's NSP holds at least `enabled` ENABLED targets (of `stream`, if given), with their count. */
  async enabled(enabled: number, stream?: Stream, limitMs = STARTUP_MS): Promise<number> {
    return (await this.ask(stream ? { id: this.nextQuery++, enabled, stream } : { id: this.nextQuery++, enabled }, limitMs)).enabled;
  }

  /**
   * Asks the world to note when `stream`'s target is ENABLED, and to keep the answer until
   * `collect()` is called, so that no answer reaches this process while it times the Open:
   * collect resolves with that moment (ms since the epoch).
   */
  watchEnabled(stream: Stream): { collect: () => Promise<number> } {
    const id = this.nextQuery++;
    const answered = this.ask({ id, enabled: 1, stream, hold: true }, STARTUP_MS);
    return {
      collect: () => {
        this.world.send({ collect: id } satisfies ToWorld);
        return answered.then((a) => a.at);
      },
    };
  }

  private ask(query: EnabledQuery, limitMs: number): Promise<{ enabled: number; at: number }> {
    const answered = new Promise<{ enabled: number; at: number }>((resolve) => this.answers.set(query.id, resolve));
    this.world.send(query satisfies ToWorld);
    return withTimeout(answered, limitMs, `fewer than ${query.enabled} targets ENABLED after ${limitMs} ms`).finally(() =>
      this.answers.delete(query.id),
    );
  }

  /** Resident set of the sidecar process, from the kernel's accounting. */
  rssMb(): number {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.sidecar.pid}/status`, 'utf8'))?.[1];
    if (kb === undefined) throw new Error('no VmRSS for the sidecar');
    return Number(kb) / 1024;
  }

  /**
   * CPU seconds used so far (user and system, from the kernel's accounting) by the sidecar
   * and by the world process (the embedded NSP and NSM): a process far below one second per
   * second of wall time was not what limited a run.
   */
  cpuSeconds(): { sidecar: number; world: number } {
    return { sidecar: cpuSecondsOf(this.sidecar), world: cpuSecondsOf(this.world) };
  }

  /** SIGTERM (the sidecar withdraws its targets), SIGKILL if that takes too long; then the world goes. */
  async stop(): Promise<void> {
    this.client.close();
    this.bare.close();
    const exited = new Promise((resolve) => this.sidecar.once('exit', resolve));
    this.sidecar.kill('SIGTERM');
    await withTimeout(exited, 5_000, '').catch(() => this.sidecar.kill('SIGKILL'));
    const gone = new Promise((resolve) => this.world.once('exit', resolve));
    this.world.disconnect();
    await withTimeout(gone, 5_000, '').catch(() => this.world.kill('SIGKILL'));
    rmSync(this.dir, { recursive: true, force: true });
    process.off('exit', this.kill);
  }

  private call(method: 'open' | 'close', stream: Stream, client = this.client): Promise<void> {
    return new Promise((resolve, reject) =>
      unary(client, TapService[method], stream, 60_000, (r) =>
        r.ok ? resolve() : reject(new Error(`Tap.${method}: ${r.error.code}: ${r.error.message}`)),
      ),
    );
  }
}

/** Fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s (USER_HZ, 100 on Linux). */
function cpuSecondsOf(child: ChildProcess): number {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
