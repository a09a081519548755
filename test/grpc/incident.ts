import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { eventually, rig, stream, type Rig } from './world.js';

/** Runs one of our command-line tools from the sources; resolves with its exit code and output. */
export function run(
  tool: 'src/cli/tapa.ts' | 'src/sim/cli/main.ts',
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', tool, ...args], { env: { ...process.env, MERIDIO_LOG_LEVEL: 'ERROR' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export const enabled = (r: Rig, ips?: readonly string[]) =>
  r.world.nsp.allTargets().filter((t) => t.status === 'ENABLED' && (ips === undefined || t.ips.every((ip) => ips.includes(ip))));

/**
 * The incident of issue 18: a sidecar under the embedded world opens two streams, NSM
 * moves its connection to new IPs, the NSP restarts and forgets; then `tapa record`
 * dumps the flight recorder into `file`. `env`: more of the sidecar's variables.
 */
export async function recordIncident(file: string, why = 'incident 42', env: Record<string, string> = {}): Promise<void> {
  const r = await rig({ MERIDIO_RECORD_EVENTS: '4096', ...env });
  try {
    for (const name of ['stream-a1', 'stream-a2']) expect(await r.call('open', stream(name))).to.equal(undefined);
    await eventually(() => expect(enabled(r)).to.have.length(2));
    const id = r.connectionId('load-balancer-a1');
    const before = r.world.nsm.addressesOf(id);
    expect(r.world.nsm.heal(id), 'NSM moves the connection to new IPs').to.equal(true);
    const after = r.world.nsm.addressesOf(id);
    expect(after).to.not.deep.equal(before);
    await eventually(() => expect(enabled(r, after)).to.have.length(2));
    await r.world.restartNsp('wipe');
    await eventually(() => expect(enabled(r, after)).to.have.length(2));

    const recorded = await run('src/cli/tapa.ts', ['record', '--socket', r.healthSocket, '--out', file, '--why', why]);
    expect(recorded.code, recorded.stderr).to.equal(0);
    // `--out -`: the recording alone on standard output, for a pipe.
    const piped = await run('src/cli/tapa.ts', ['record', '--socket', r.healthSocket, '--out', '-', '--why', why]);
    expect(piped.code, piped.stderr).to.equal(0);
    expect((JSON.parse(piped.stdout) as { why: string }).why).to.equal(why);
  } finally {
    await r.stop();
  }
}
