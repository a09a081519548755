import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan, record } from '../../src/sim/explore/hunt.js';
import { MODELS } from '../../src/sim/models/index.js';
import { scratchDir } from '../support/scratch.js';

/** Clears the rest of a terminal line. */
const WIPE = '\x1b[K';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sim(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/sim/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as Record<string, unknown>;
const timing = ({ elapsedMs: _e, ...rest }: Record<string, unknown>): Record<string, unknown> => rest;

describe('tapa-sim command line', function () {
  this.timeout(300_000);

  it('hunt on the core finds nothing (exit 0), and the same seed prints the same JSON apart from timing', () => {
    const out = scratchDir('tapa-hunt-');
    const a = sim(['hunt', '--model', 'core', '--runs', '2000', '--seed', '7', '--json', '--out', out]);
    const b = sim(['hunt', '--model', 'core', '--runs', '2000', '--seed', '7', '--json', '--out', out]);
    expect(a.status, a.stderr + a.stdout).to.equal(0);
    const ja = lastJson(a.stdout);
    expect(ja).to.include({ model: 'core', strategy: 'portfolio', seed: 7, runs: 2000, schedules: 2000, found: false });
    expect(ja).to.have.property('elapsedMs');
    expect(timing(lastJson(b.stdout))).to.deep.equal(timing(ja));
  });

  it('hunt on a broken core exits 1 and writes a counterexample that replays with exit 1', () => {
    const out = scratchDir('tapa-hunt-');
    const h = sim(['hunt', '--model', 'broken:keeps-old-target', '--runs', '2000', '--seed', '1', '--out', out, '--json']);
    expect(h.status, h.stderr).to.equal(1);
    expect(lastJson(h.stdout)).to.include({ found: true, kind: 'invariant' });
    const r = sim(['replay', join(out, 'counterexample.json')]);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('invariant');
  });

  for (const runner of ['runner-gate-leak', 'runner-timer-slots', 'runner-watch-routing']) {
    it(`hunt with its default budget finds broken:${runner} (a mistake of the runner, not the core), and the counterexample replays with exit 1`, () => {
      const out = scratchDir('tapa-hunt-');
      const h = sim(['hunt', '--model', `broken:${runner}`, '--seed', '1', '--out', out, '--json']);
      expect(h.status, h.stderr).to.equal(1);
      expect(lastJson(h.stdout)).to.include({ found: true, planned: 1000 });
      const r = sim(['replay', join(out, 'counterexample.json')]);
      expect(r.status, r.stderr + r.stdout).to.equal(1);
    });
  }

  it('hunt --shard I/N: merged, the shards give the unsharded counterexample (exit 1); clean shards merge to exit 0; a missing shard exits 2 in one line', () => {
    const root = scratchDir('tapa-shards-');
    const args = ['hunt', '--model', 'broken:keeps-old-target', '--runs', '50', '--seed', '1', '--json'];
    const whole = sim([...args, '--out', join(root, 'whole')]);
    const shards = [0, 1].map((i) => sim([...args, '--shard', `${i}/2`, '--out', join(root, `shard-${i}`)]));
    const run = lastJson(whole.stdout)['run'] as number;
    const holder = shards[run % 2]!;
    expect(holder.status, holder.stderr).to.equal(1);
    expect(lastJson(holder.stdout)).to.deep.include({
      found: true,
      run,
      shard: { index: run % 2, count: 2 },
      covered: { first: run % 2, step: 2, last: run },
    });
    const merged = sim(['merge', join(root, 'shard-0'), join(root, 'shard-1'), '--out', join(root, 'merged'), '--json']);
    expect(merged.status, merged.stderr).to.equal(1);
    expect(lastJson(merged.stdout)).to.include({ shards: 2, found: true, run, runSeed: lastJson(whole.stdout)['runSeed'] });
    expect(readFileSync(join(root, 'merged', 'counterexample.json'), 'utf8')).to.equal(
      readFileSync(join(root, 'whole', 'counterexample.json'), 'utf8'),
    );
    expect(readFileSync(join(root, 'merged', 'counterexample.html'), 'utf8')).to.equal(
      readFileSync(join(root, 'whole', 'counterexample.html'), 'utf8'),
    );
    const missing = sim(['merge', join(root, 'shard-0')]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr.trimEnd().split('\n')).to.deep.equal(['tapa-sim: missing 1 of 2 shards: 1']);
    expect(sim(['hunt', '--model', 'core', '--runs', '4', '--shard', '0/1', '--out', join(root, 'clean')]).status).to.equal(0);
    expect(sim(['merge', join(root, 'clean')]).status).to.equal(0);
  });

  it('replay of a malformed, unknown-version or missing file exits 2 with one line', () => {
    const dir = scratchDir('tapa-replay-');
    const cases: [string, string | undefined, RegExp][] = [
      ['bad.json', '{"format": "tapa-sim-trace", ', /not JSON/],
      ['v9.json', '{"format": "tapa-sim-trace", "version": 9}', /unknown trace version 9/],
      ['missing.json', undefined, /cannot read/],
    ];
    for (const [name, text, message] of cases) {
      if (text !== undefined) writeFileSync(join(dir, name), text);
      const r = sim(['replay', join(dir, name)]);
      expect(r.status, name).to.equal(2);
      expect(r.stderr.trimEnd().split('\n'), name).to.have.length(1);
      expect(r.stderr, name).to.match(message);
    }
  });

  it('replay of a run that diverges from its log exits 2 and shows the first difference', () => {
    const out = scratchDir('tapa-hunt-');
    sim(['hunt', '--model', 'broken:reuses-identifier', '--runs', '2000', '--seed', '1', '--out', out]);
    const file = join(out, 'counterexample.json');
    const trace = JSON.parse(readFileSync(file, 'utf8')) as { log: { label: string }[] };
    trace.log[3]!.label = 'edited';
    writeFileSync(file, JSON.stringify(trace));
    const r = sim(['replay', file]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/diverges from the recorded log at step 3/);
  });

  it('hunt --model legacy-v1.1.4 --strategy pct finds the #578 deadlock; replay --dump shows the cycle and the goroutine dump; the core replays it clean', () => {
    const out = scratchDir('tapa-legacy-');
    const h = sim(['hunt', '--model', 'legacy-v1.1.4', '--strategy', 'pct', '--seed', '3', '--out', out, '--json']);
    expect(h.status, h.stderr).to.equal(1);
    expect(lastJson(h.stdout)).to.include({ found: true, kind: 'deadlock' });
    const file = join(out, 'counterexample.json');
    const r = sim(['replay', file, '--dump']);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/deadlock/);
    expect(r.stdout).to.contain('conduit.(*Conduit).GetIPs');
    expect(r.stdout).to.contain('conduit.(*streamManager).Stop');
    expect(r.stdout).to.contain('sync.(*WaitGroup).Wait');
    expect(r.stdout).to.contain('-----------+----');
    expect(sim(['replay', file, '--model', 'core']).status).to.equal(0);
  });

  it('replay of a core trace cut short consistently (choices and log) exits 2 naming the step where the recording ran out', () => {
    const dir = scratchDir('tapa-cut-');
    const seed = 5;
    const { scenario, strategy } = plan({ strategy: 'random' }, seed);
    const whole = record(MODELS.get('core')!, scenario, strategy, seed);
    const cut = Math.floor(whole.choices.length / 2);
    const file = join(dir, 'cut.json');
    writeFileSync(file, JSON.stringify({ ...whole, choices: whole.choices.slice(0, cut), log: whole.log.slice(0, cut) }));
    const r = sim(['replay', file]);
    expect(r.status, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain(`replay diverged at step ${cut}: the recording ran out after ${cut} choices`);
  });

  it('hunt --keep-going on legacy-v1.1.4 reports the #578 bucket with one counterexample per bucket; shards merge to the same buckets; --ignore-file hunts past it', () => {
    const root = scratchDir('tapa-keep-going-');
    const args = ['hunt', '--model', 'legacy-v1.1.4', '--keep-going', '--runs', '200', '--seed', '1', '--json'];
    const whole = sim([...args, '--out', join(root, 'whole')]);
    expect(whole.status, whole.stderr).to.equal(1);
    const buckets = lastJson(whole.stdout)['buckets'] as { signature: string; kind: string; count: number; counterexample: string }[];
    const cycle = ['conduit.(*Conduit).GetIPs', 'conduit.(*streamManager).Stop', 'stream.(*Stream).Close'];
    const b578 = buckets.find((b) => b.kind === 'deadlock' && cycle.every((f) => b.signature.includes(f)));
    expect(b578, whole.stdout).to.not.equal(undefined);
    expect(new Set(buckets.map((b) => b.counterexample)).size).to.equal(buckets.length);
    const r = sim(['replay', b578!.counterexample]);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('deadlock');

    for (const shard of ['0/3', '1/3', '2/3']) sim([...args, '--shard', shard, '--out', join(root, 'shards')]);
    const merged = sim(['merge', join(root, 'shards'), '--out', join(root, 'merged'), '--json']);
    expect(merged.status, merged.stderr).to.equal(1);
    const fields = (b: Record<string, unknown>) => ({
      signature: b['signature'],
      count: b['count'],
      firstRun: b['firstRun'],
      run: b['run'],
    });
    const mergedBuckets = lastJson(merged.stdout)['buckets'] as Record<string, unknown>[];
    expect(mergedBuckets.map(fields)).to.deep.equal((buckets as unknown as Record<string, unknown>[]).map(fields));
    for (const b of buckets) {
      const name = b.counterexample.slice(b.counterexample.lastIndexOf('/') + 1);
      expect(readFileSync(join(root, 'merged', name), 'utf8'), name).to.equal(readFileSync(b.counterexample, 'utf8'));
    }

    const known = join(root, 'known-signatures');
    writeFileSync(known, `# Meridio #578, fixed upstream\n${b578!.signature}\n\n`);
    const past = sim([
      'hunt',
      '--model',
      'legacy-v1.1.4',
      '--keep-going',
      '--runs',
      '200',
      '--seed',
      '1',
      '--ignore-file',
      known,
      '--out',
      join(root, 'past'),
      '--json',
    ]);
    const summary = lastJson(past.stdout);
    expect(summary['ignored']).to.equal(b578!.count);
    expect((summary['buckets'] as { signature: string }[]).map((b) => b.signature)).to.not.include(b578!.signature);
  });

  it('hunt --workers 1, --workers 2 and --shard (on workers, merged) give byte-identical counterexamples and summaries, elapsed time aside', () => {
    const root = scratchDir('tapa-workers-');
    const hunts: [string, string[]][] = [
      ['finds', ['--model', 'broken:keeps-old-target', '--runs', '60']],
      ['clean', ['--model', 'core', '--runs', '60']],
      ['keep-going', ['--model', 'legacy-v1.1.4', '--runs', '80', '--keep-going']],
    ];
    for (const [name, args] of hunts) {
      const run = (how: string, extra: string[]): { summary: Record<string, unknown>; files: Map<string, string> } => {
        const dir = join(root, name, how);
        const r = sim(['hunt', ...args, '--seed', '1', '--json', '--out', dir, ...extra]);
        expect(r.status, r.stderr).to.be.oneOf([0, 1]);
        expect(r.stderr, 'no progress without a terminal').to.equal('');
        const files = new Map(
          (spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean) as string[]).map((f) => [
            f,
            readFileSync(join(dir, f), 'utf8'),
          ]),
        );
        return {
          summary: JSON.parse(
            JSON.stringify(timing(lastJson(r.stdout)))
              .split(dir)
              .join('OUT'),
          ) as Record<string, unknown>,
          files,
        };
      };
      const one = run('one', ['--workers', '1']);
      const two = run('two', ['--workers', '2']);
      expect(two.summary, name).to.deep.equal(one.summary);
      expect(two.files, name).to.deep.equal(one.files);
      for (const i of [0, 1]) run('shards', ['--shard', `${i}/2`, '--workers', '2']);
      const merged = sim(['merge', join(root, name, 'shards'), '--out', join(root, name, 'merged'), '--json']);
      expect(merged.status, merged.stderr).to.equal(one.summary['found'] ? 1 : 0);
      const m = lastJson(merged.stdout);
      // The shards of a hunt that stops at its first failure each explore up to their own.
      expect(m, name).to.include({ found: one.summary['found'], kind: one.summary['kind'] });
      if (!one.summary['found']) expect(m['runs'], name).to.equal(one.summary['runs']);
      const fields = (b: Record<string, unknown>) => [b['signature'], b['count'], b['firstRun'], b['run'], b['runSeed']];
      const buckets = (x: Record<string, unknown>) => (x['buckets'] as Record<string, unknown>[] | undefined)?.map(fields);
      if (args.includes('--keep-going')) expect(buckets(m), name).to.deep.equal(buckets(one.summary));
      else expect(m['run'], name).to.equal(one.summary['run']);
      for (const [file, text] of one.files)
        expect(readFileSync(join(root, name, 'merged', file), 'utf8'), `${name} ${file}`).to.equal(text);
    }
  });

  it('hunt shows progress on stderr when it is a terminal, wiped before the summary; never with --json', function () {
    if (spawnSync('script', ['--version']).status !== 0) this.skip();
    const tty = (args: string): string =>
      spawnSync('script', ['-qec', `${process.execPath} --import tsx src/sim/cli/main.ts ${args}`, '/dev/null'], {
        cwd: ROOT,
        encoding: 'utf8',
      }).stdout;
    const shown = tty('hunt --model core --runs 30 --seed 1 --workers 1 --out /dev/null');
    expect(shown).to.match(/\r\d+ \/ 30 runs \(\d+%\), \d+ runs\/s, \d+s elapsed/);
    const last = shown.trimEnd().split('\n').at(-1)!;
    expect(last.slice(last.lastIndexOf(`\r${WIPE}`) + WIPE.length + 1)).to.match(/^hunt core .*30 runs in .*nothing found\r?$/);
    expect(tty('hunt --model core --runs 30 --seed 1 --workers 1 --out /dev/null --json')).to.not.contain('runs/s');
  });

  it("replay --html draws the run as a page and keeps replay's exit codes; hunt --out writes counterexample.html next to the trace", () => {
    const dir = scratchDir('tapa-html-');
    const page = join(dir, '578.html');
    const r = sim(['replay', 'test/traces/issue-578.json', '--html', page]);
    expect(r.status, r.stderr).to.equal(1);
    expect(readFileSync(page, 'utf8'))
      .to.match(/^<!doctype html>/)
      .and.to.contain('badge-deadlock');
    const core = join(dir, 'core.html');
    expect(sim(['replay', 'test/traces/issue-578.json', '--model', 'core', '--html', core]).status).to.equal(0);
    expect(readFileSync(core, 'utf8')).to.contain('badge-passed');
    expect(sim(['replay', 'test/traces/issue-578.json', '--html', join(dir, 'no-such-dir', 'x.html')]).status).to.equal(2);
    const h = sim(['hunt', '--model', 'broken:keeps-old-target', '--runs', '2000', '--seed', '1', '--out', dir]);
    expect(h.status, h.stderr).to.equal(1);
    expect(h.stdout).to.contain(join(dir, 'counterexample.html'));
    expect(readFileSync(join(dir, 'counterexample.html'), 'utf8')).to.contain('badge-invariant');
  });

  it('bad usage exits 2', () => {
    expect(sim(['hunt', '--model', 'nope']).status).to.equal(2);
    expect(sim(['hunt', '--model', 'core', '--runs', 'many']).status).to.equal(2);
    expect(sim(['hunt']).status).to.equal(2);
    expect(sim(['hunt', '--model', 'core', '--shard', '4/4']).status).to.equal(2);
    expect(sim(['hunt', '--model', 'core', '--shard', '1-4']).status).to.equal(2);
  });
});
