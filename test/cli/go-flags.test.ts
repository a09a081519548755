import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tapa(...args: string[]): { status: number | null; stdout: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/tapa.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout };
}

describe("tapa: the Go TAPA's -help, -debug and -version", function () {
  this.timeout(60_000);

  it('-help (one dash, as Go takes it) prints the usage and exits 0', () => {
    const { status, stdout } = tapa('-help');
    expect(status).to.equal(0);
    expect(stdout).to.match(/^Usage: tapa /);
    expect(stdout).to.contain('--debug');
  });

  it("-debug prints one JSON line under Go's keys, with the loopback interface and this environment, and exits 0", () => {
    const { status, stdout } = tapa('-debug');
    expect(status).to.equal(0);
    expect(stdout.trim().split('\n')).to.have.length(1);
    const report = JSON.parse(stdout) as Record<string, unknown> & { 'network-interfaces': { name: string; ips: string[]; up: boolean }[] };
    expect(report).to.have.all.keys(
      'version',
      'meridio-version',
      'unix-time',
      'network-interfaces',
      'rules',
      'route',
      'neighbors',
      'system',
      'environment-variables',
    );
    const lo = report['network-interfaces'].find((i) => i.name === 'lo');
    expect(lo?.up).to.equal(true);
    expect(lo?.ips).to.include('127.0.0.1/8');
    expect(report['environment-variables']).to.include(`PATH=${process.env['PATH'] ?? ''}`);
  });

  it('-version prints the version and exits 0', () => {
    const { status, stdout } = tapa('-version');
    expect(status).to.equal(0);
    expect(stdout.trim()).to.match(/^\d+\.\d+\.\d+/);
  });
});
