import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from '../../support/scratch.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/outside-model');
/** As a user gives it: a path relative to the directory tapa-sim runs in. */
const MODEL = './test/fixtures/outside-model/dist/model.js';

function run(command: string, args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The built command line, as installed: the model's 'tapa/model' and the simulator are then one copy of the code. */
const sim = (args: string[]) => run(process.execPath, ['dist/sim/cli/main.js', ...args]);
const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as Record<string, unknown>;

function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0,
    ),
  );
}

describe('a model kept outside the project (test/fixtures/outside-model), through tapa/model and --model ./path', function () {
  this.timeout(600_000);

  before(() => {
    // `npm ci` builds dist (prepare); a checkout with sources newer than dist is built once here.
    const built = join(ROOT, 'dist/sim/cli/main.js');
    if (!existsSync(join(ROOT, 'dist/sim/modelling.d.ts')) || !existsSync(built) || statSync(built).mtimeMs < newest(join(ROOT, 'src'))) {
      run('npm', ['run', 'build']);
    }
    // What `npm install` of the `file:` dependency makes, without the network.
    mkdirSync(join(FIXTURE, 'node_modules'), { recursive: true });
    if (!existsSync(join(FIXTURE, 'node_modules/tapa'))) symlinkSync('../../../..', join(FIXTURE, 'node_modules/tapa'), 'dir');
    const tsc = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], FIXTURE);
    expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0);
  });

  it('hunt finds its deadlock, the trace records the file and its hash, and replay runs it again from the recorded path or --model', () => {
    const out = scratchDir('tapa-outside-');
    const h = sim(['hunt', '--model', MODEL, '--seed', '1', '--out', out, '--json']);
    expect(h.status, h.stderr).to.equal(1);
    const sha256 = lastJson(h.stdout)['modelHash'];
    expect(lastJson(h.stdout)).to.include({ model: 'outside:toy', found: true, kind: 'deadlock' });
    const file = join(out, 'counterexample.json');
    const trace = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(trace).to.deep.include({ model: 'outside:toy', modelSource: { path: MODEL, sha256 } });
    expect(trace['foundBy']).to.have.property('kind');
    const again = sim(['replay', file]);
    expect(again.status, again.stderr).to.equal(1);
    expect(again.stdout).to.contain('conduit.(*Conduit).GetIPs');
    expect(sim(['replay', file, '--model', MODEL]).status).to.equal(1);
  });

  it('reproduce turns its goroutine profile into a trace of the model file, which replays', () => {
    const out = scratchDir('tapa-outside-');
    const r = sim(['reproduce', '--from-pprof', join(FIXTURE, 'profile.txt'), '--model', MODEL, '--runs', '200', '--out', out, '--json']);
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    const file = join(out, 'reproduction.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.have.nested.property('modelSource.path', MODEL);
    expect(sim(['replay', file]).status).to.equal(1);
  });

  it('shards of a hunt that keeps going merge into the buckets of one process', () => {
    const root = scratchDir('tapa-outside-');
    const args = ['hunt', '--model', MODEL, '--keep-going', '--runs', '40', '--seed', '2'];
    expect(sim([...args, '--out', join(root, 'whole')]).status).to.equal(1);
    for (const shard of ['0/2', '1/2']) sim([...args, '--shard', shard, '--out', join(root, 'shards')]);
    const m = sim(['merge', join(root, 'shards'), '--model', MODEL, '--out', join(root, 'merged'), '--json']);
    expect(m.status, m.stderr).to.equal(1);
    const traces = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.json'));
    expect(traces(join(root, 'merged'))).to.deep.equal(traces(join(root, 'whole')));
    for (const name of traces(join(root, 'whole'))) {
      expect(readFileSync(join(root, 'merged', name), 'utf8'), name).to.equal(readFileSync(join(root, 'whole', name), 'utf8'));
    }
  });

  it('a file that is not a model, or not there, exits 2 with one line', () => {
    const dir = scratchDir('tapa-outside-');
    writeFileSync(join(dir, 'nothing.js'), 'export const answer = 42;\n');
    writeFileSync(join(dir, 'future.js'), "export default { name: 'future', create() {}, apiVersion: 99 };\n");
    const cases: [string, RegExp][] = [
      [join(dir, 'nothing.js'), /exports no model/],
      [join(dir, 'future.js'), /written for modelling API 99; this tapa-sim has version 1/],
      [join(dir, 'missing.js'), /cannot read/],
    ];
    for (const [file, message] of cases) {
      const r = sim(['hunt', '--model', file, '--runs', '1']);
      expect(r.status, file).to.equal(2);
      expect(r.stderr.trimEnd().split('\n'), file).to.have.length(1);
      expect(r.stderr, file).to.match(message);
    }
  });
});
