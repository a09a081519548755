import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockedSignature, parseProfile, parseTraces, TRACES_SEPARATOR, type TraceGroup } from '../../../src/sim/goroutine/index.js';
import { MODELS } from '../../../src/sim/models/index.js';
import { replay } from '../../../src/sim/explore/replay.js';
import { reproduce } from '../../../src/sim/explore/reproduce.js';
import { scratchDir } from '../../support/scratch.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const sorted = (m: Map<string, number>): [string, number][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('reproduce: from a goroutine profile to a replayable trace', function () {
  this.timeout(600_000);
  const profile = parseProfile(fixture('fixtures/pprof-578.txt'));
  const target = blockedSignature(profile);

  for (let seed = 1; seed <= 5; seed++) {
    it(`finds the #578 profile on legacy-v1.1.4 (seed ${seed}), and the trace replays as a deadlock with the same signature`, () => {
      const r = reproduce({ profile, model: MODELS.get('legacy-v1.1.4')!, seed, timeLimitMs: 60_000 });
      expect(r.found).to.equal(true);
      if (!r.found) return;
      expect(r.trace.lingerMs).to.equal(120_000);
      const outcome = replay(JSON.parse(JSON.stringify(r.trace)), MODELS.get('legacy-v1.1.4')!);
      expect(outcome.kind).to.equal('failed');
      if (outcome.kind !== 'failed') return;
      expect(outcome.failure.kind).to.equal('deadlock');
      const message = outcome.failure.message;
      expect(sorted(blockedSignature(parseTraces(message.slice(message.indexOf(TRACES_SEPARATOR)))))).to.deep.equal(sorted(target));
    });
  }

  it('finds no match on the core', () => {
    const r = reproduce({ profile, model: MODELS.get('core')!, seed: 1, timeLimitMs: 600_000, maxRuns: 200 });
    expect(r.found).to.equal(false);
  });

  it('with a run budget, what it reports depends on the seed alone', () => {
    const search = (seed: number) => reproduce({ profile, model: MODELS.get('core')!, seed, timeLimitMs: 600_000, maxRuns: 40 });
    const first = search(3);
    expect(first).to.include({ found: false, tries: 40 });
    expect(search(3)).to.deep.equal(first);
  });

  it('reports a blocked goroutine the model cannot produce as missing', () => {
    const edited: TraceGroup[] = [
      ...profile,
      {
        count: 1,
        frames: [
          'runtime.gopark',
          'sync.(*Mutex).lockSlow',
          'sync.(*Mutex).Lock (inline)',
          'github.com/nordix/meridio/pkg/ambassador/tap/conduit.(*Conduit).Frobnicate',
        ],
      },
    ];
    const r = reproduce({ profile: edited, model: MODELS.get('legacy-v1.1.4')!, seed: 1, timeLimitMs: 600_000, maxRuns: 300 });
    expect(r.found).to.equal(false);
    if (r.found) return;
    expect(r.missing).to.deep.equal([['conduit.(*Conduit).Frobnicate', 1]]);
  });

  it('the debug=2 dump of the same goroutines has the same blocked signature as the traces form', () => {
    const debug2 = blockedSignature(parseProfile(fixture('fixtures/pprof-578-debug2.txt')));
    expect(sorted(debug2)).to.deep.equal(sorted(target));
    expect(target.size).to.be.greaterThan(0);
  });

  it('parseProfile strips argument lists and refuses text without goroutines', () => {
    const groups = parseProfile(
      'goroutine 7 [sync.Mutex.Lock]:\nsync.(*Mutex).Lock(...)\n\t/usr/local/go/src/sync/mutex.go:90\nexample.com/p.(*T).F(0xc000010000, {0x1, 0x2})\n\t/app/p/t.go:12 +0x45\ncreated by example.com/p.G in goroutine 1\n\t/app/p/t.go:3 +0x9\n',
    );
    expect(groups).to.deep.equal([{ count: 1, frames: ['sync.(*Mutex).Lock', 'example.com/p.(*T).F'] }]);
    expect(() => parseProfile('hello\nworld\n')).to.throw(/no goroutines found/);
  });

  it('CLI: a malformed profile exits 2 with one line', () => {
    const dir = scratchDir('tapa-repro-');
    const file = join(dir, 'bad.txt');
    writeFileSync(file, 'this is not a goroutine profile\n');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/sim/cli/main.ts', 'reproduce', '--from-pprof', file, '--model', 'legacy-v1.1.4', '--out', dir],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/no goroutines found/);
  });

  it('CLI: a profile without TAPA frames exits 2, the #578 profile exits 0 with a trace, and --runs without a match exits 1', () => {
    const dir = scratchDir('tapa-repro-');
    const file = join(dir, 'other.txt');
    writeFileSync(
      file,
      `${TRACES_SEPARATOR}\n         1   runtime.gopark\n             sync.(*Mutex).Lock\n             example.com/other.F\n${TRACES_SEPARATOR}\n`,
    );
    const sim = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/sim/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
    const bad = sim(['reproduce', '--from-pprof', file, '--model', 'legacy-v1.1.4']);
    expect(bad.status, bad.stderr).to.equal(2);
    expect(bad.stderr.trimEnd().split('\n')).to.have.length(1);
    const ok = sim(['reproduce', '--from-pprof', 'test/fixtures/pprof-578.txt', '--model', 'legacy-v1.1.4', '--out', dir, '--json']);
    expect(ok.status, ok.stderr + ok.stdout).to.equal(0);
    const last = JSON.parse(ok.stdout.trimEnd().split('\n').at(-1)!) as Record<string, unknown>;
    expect(last).to.include({ found: true, file: join(dir, 'reproduction.json') });
    const rep = sim(['replay', join(dir, 'reproduction.json')]);
    expect(rep.status, rep.stderr).to.equal(1);
    expect(rep.stdout).to.contain('deadlock');
    const budget = sim(['reproduce', '--from-pprof', 'test/fixtures/pprof-578.txt', '--model', 'core', '--runs', '7', '--json']);
    expect(budget.status, budget.stderr).to.equal(1);
    expect(budget.stdout).to.match(/no exact match in 7 runs/);
  });
});
