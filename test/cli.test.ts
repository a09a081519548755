import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(entry: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('command lines', () => {
  it('tapa-sim demo walks the core to OPEN, through an IP change, and shuts down clean', () => {
    const r = run('src/sim/cli/main.ts', ['demo']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('stream-a1=OPEN');
    expect(r.stdout).to.contain('register 172.16.0.7/24 identifier 1 ENABLED');
    expect(r.stdout.trimEnd().split('\n').at(-1)).to.equal('NSP targets left: 0');
  });

  it('tapa --version prints the package version; an unknown command is a usage error (exit 2)', () => {
    expect(run('src/cli/tapa.ts', ['--version']).stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
    const bad = run('src/cli/tapa.ts', ['no-such-command']);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain('error:');
  });
});
