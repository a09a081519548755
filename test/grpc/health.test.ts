import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverStream, unary } from '../../src/grpc/calls.js';
import { HealthCheck, HealthWatch } from '../../src/grpc/health.js';
import { createLogger } from '../../src/grpc/log.js';
import { serveOn } from '../../src/grpc/unix-socket.js';
import type { TrenchState } from '../../src/core/state.js';
import { eventually, rig, stream, type Rig } from './world.js';
import { scratchDir } from '../support/scratch.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The services of Meridio's health server that the target chart's exec probes query. */
const PROBES = ['Startup', 'Readiness', 'Liveness'] as const;

/**
 * The chart's probe command, less `/bin/grpc_health_probe`. Its timeouts (100 ms to connect,
 * 150 ms to answer) are for a node that runs the probe at once; here the probe and the server
 * share a machine with other tests, so a test that expects an answer gives the same flags time.
 */
const chart = (socket: string, service: string, timeouts: 'chart' | 'patient' = 'patient'): string[] => [
  `-addr=unix://${socket}`,
  `-service=${service}`,
  ...(timeouts === 'chart' ? ['-connect-timeout=100ms', '-rpc-timeout=150ms'] : ['-connect-timeout=10s', '-rpc-timeout=10s']),
];

/** Check's answer: the status, or the error code. */
function check(socket: string, service: string): Promise<string> {
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  return new Promise((resolve) =>
    unary(client, HealthCheck, { service }, 5_000, (r) => {
      client.close();
      resolve(r.ok ? r.value.status : r.error.code);
    }),
  );
}

/** The probe command as a child process; asynchronous, since the sidecar it probes runs in this one. */
function probe(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/grpc/probe.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the health socket and grpc_health_probe', function () {
  this.timeout(60_000);

  describe('against a running sidecar', () => {
    let r: Rig;
    before(async () => {
      r = await rig();
    });
    after(async () => {
      await r.stop();
    });

    it('the health socket answers "", Startup, Readiness and Liveness: SERVING', async () => {
      for (const service of ['', ...PROBES]) expect(await check(r.healthSocket, service), service).to.equal('SERVING');
    });

    for (const service of PROBES) {
      it(`the chart's ${service} probe exits 0 and prints the status`, async () => {
        const { code, stdout, stderr } = await probe(chart(r.healthSocket, service));
        expect(code, stderr).to.equal(0);
        expect(stdout).to.equal('status: SERVING\n');
      });
    }

    it("takes Go's other flag forms: --flag=value, -flag value, --flag value", async () => {
      const forms = [
        [`--addr=unix://${r.healthSocket}`, '--service=Liveness'],
        ['-addr', `unix://${r.healthSocket}`, '-service', 'Liveness', '-rpc-timeout', '1s'],
        ['--addr', `unix://${r.socket}`, '--connect-timeout', '2s'],
      ];
      for (const args of forms) expect((await probe(args)).code, args.join(' ')).to.equal(0);
    });

    it('an unknown service: exit 3, one line on stderr', async () => {
      const { code, stdout, stderr } = await probe(chart(r.healthSocket, 'Nope'));
      expect(code).to.equal(3);
      expect(stdout).to.equal('');
      expect(stderr).to.match(/^error: health rpc failed: NOT_FOUND: .*\n$/);
    });
  });

  // Never dialled: each is refused before a connection is tried.
  const addr = '-addr=unix:///never.sock';
  for (const args of [
    [],
    ['-addr='],
    [addr, '-tls'],
    [addr, '-connect-timeout=15'],
    [addr, '-rpc-timeout=0s'],
    [addr, '-v'],
    [addr, 'extra'],
  ]) {
    it(`bad flags (${args.join(' ') || 'none'}): exit 1, one line on stderr`, async () => {
      const { code, stdout, stderr } = await probe(args);
      expect(code).to.equal(1);
      expect(stdout).to.equal('');
      expect(stderr).to.match(/^error: [^\n]+\n$/);
    });
  }

  it('a missing socket: exit 2 once the connect timeout is over, one line on stderr', async () => {
    const socket = join(scratchDir('tapa-health-'), 'missing.sock');
    const { code, stderr } = await probe(chart(socket, 'Startup', 'chart'));
    expect(code).to.equal(2);
    expect(stderr).to.equal(`timeout: failed to connect service "unix://${socket}" within 100ms\n`);
  });

  it('a service NOT_SERVING: exit 4, one line on stderr', async () => {
    const socket = join(scratchDir('tapa-health-'), 'health.sock');
    const server = new grpc.Server();
    new HealthImplementation({ Liveness: 'NOT_SERVING' }).addToServer(server);
    const served = await serveOn(server, { variable: 'MERIDIO_HEALTH_SOCKET', path: socket });
    try {
      const { code, stderr } = await probe(chart(socket, 'Liveness'));
      expect(code).to.equal(4);
      expect(stderr).to.equal('service unhealthy (responded with "NOT_SERVING")\n');
    } finally {
      served.close();
      server.forceShutdown();
    }
  });

  it('a core that breaks its invariants in production: one error line with the violations, the last event and the state, and Liveness NOT_SERVING for good', async () => {
    const lines: string[] = [];
    const r = await rig({}, { log: createLogger('ERROR', { write: (line: string) => void lines.push(line) }) });
    try {
      expect(await check(r.healthSocket, 'Liveness')).to.equal('SERVING');
      // No event can make the core do this; a corrupted state stands in for a bug.
      r.sidecar.runner.state.trenches.set('ghost', { name: 'ghost', conduits: new Map() } as unknown as TrenchState);
      expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
      // Checked once per as many events as the state is large: within the open's next few.
      await eventually(() => expect(lines).to.have.length.above(0));
      const broken = lines.map(
        (l) =>
          JSON.parse(l) as { severity: string; extra_data: { violations: string[]; event: { kind: string }; state: { trenches: object } } },
      );
      expect(broken).to.have.length(1);
      expect(broken[0]).to.include({ severity: 'error' });
      expect(broken[0]!.extra_data.violations.join()).to.contain('trench ghost has no conduits');
      expect(broken[0]!.extra_data.state.trenches).to.have.property('ghost');
      for (const service of ['', 'Liveness']) expect(await check(r.healthSocket, service), service).to.equal('NOT_SERVING');
      expect(await check(r.healthSocket, 'Readiness')).to.equal('SERVING');
    } finally {
      await r.stop();
    }
  });

  it('at shutdown every service turns NOT_SERVING, then the health socket is gone', async () => {
    const r = await rig();
    let stopped = false;
    try {
      // An open stream makes shutdown wait for the NSP and NSM, as it does in a pod.
      expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
      await eventually(() => expect(r.world.nsp.allTargets().filter((t) => t.status === 'ENABLED')).to.have.length(1));
      const client = new grpc.Client(`unix://${r.healthSocket}`, grpc.credentials.createInsecure());
      const last = new Map<string, string>();
      for (const service of ['', ...PROBES])
        serverStream(
          client,
          HealthWatch,
          { service },
          {},
          (m) => last.set(service, m.status),
          () => {},
        );
      const statuses = () => ['', ...PROBES].map((service) => last.get(service));
      await eventually(() => expect(statuses()).to.deep.equal(['SERVING', 'SERVING', 'SERVING', 'SERVING']));
      await r.stop();
      stopped = true;
      await eventually(() => expect(statuses()).to.deep.equal(['NOT_SERVING', 'NOT_SERVING', 'NOT_SERVING', 'NOT_SERVING']));
      client.close();
      expect(existsSync(r.healthSocket)).to.equal(false);
    } finally {
      if (!stopped) await r.stop();
    }
  });
});
