import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreEventsPerSecondApart, recordCoreEvents, runnerEventsPerSecond } from './runner.js';
import { recorderFigures } from './recorder-figures.js';
import { costRatio, figure, line, load, machine, median, ratioFigure, spent } from './report.js';
import { parallelSpeedups } from './parallel.js';
import { runtimeTimeToFind } from './cycle.js';
import { fcSchedulerTimeToFind } from './peer.js';
import { openLatency, openMany } from './sidecar-figures.js';
import { enabledFraction } from './overload.js';
import { SIDECAR_NODE_FLAGS } from '../src/grpc/node-flags.js';
import { simThroughput } from './sim.js';
import { hunt } from '../dist/sim/explore/hunt.js';
import { MODELS } from '../dist/sim/models/index.js';

/**
 * `npm run bench [-- --quick]`: one JSON line describing the machine (with the load
 * average), then one JSON line per figure, each with the wall and CPU seconds it took,
 * then the load average at the end. Goals are reported by the README, never asserted.
 */
const quick = process.argv.includes('--quick');
machine(quick);

const rates: Record<number, number> = {};
// Every size warms up before any is measured: the first, smallest run otherwise measured the JIT.
for (const streams of [100, 1_000, 10_000]) runnerEventsPerSecond(streams, 2);
for (const streams of [100, 1_000, 10_000]) {
  rates[streams] = runnerEventsPerSecond(streams, quick ? 4 : 10);
  figure({
    name: `runner.events_per_sec.streams_${streams}`,
    value: Math.round(rates[streams]!),
    unit: 'events/s',
    note: 'the core inside the production runner, against a scripted world',
  });
}
// The core alone over the events it met in the runner, beside a trivial reducer over the same events.
{
  const events = recordCoreEvents(10_000, 4);
  spent();
  const runs = await coreEventsPerSecondApart(events, quick ? 3 : 7);
  const cores = runs.map((r) => r.core);
  figure({
    name: 'core.events_per_sec.streams_10000',
    value: Math.round(median(cores)),
    min: Math.round(Math.min(...cores)),
    max: Math.round(Math.max(...cores)),
    unit: 'events/s',
    trivial_reducer: Math.round(median(runs.map((r) => r.trivial))),
    ratio_to_trivial_median: Number(median(runs.map((r) => r.core / r.trivial)).toPrecision(3)),
    n: runs.length,
    events: runs[0]!.events,
    note: 'step() alone over the events the core met in the runner workload of 10,000 streams, in a thread of its own; the trivial reducer walks the same events',
  });
}
line({ name: 'runner.scaling_ratio_10000_vs_100', value: Number((rates[10_000]! / rates[100]!).toFixed(3)), unit: 'ratio' });
costRatio(
  'runner.invariants_cost_ratio.streams_10000',
  "events/s with the sidecar's amortized invariant checks over events/s without, median of alternating pairs",
  quick ? 3 : 7,
  () => runnerEventsPerSecond(10_000, 4, 'off'),
  () => runnerEventsPerSecond(10_000, 4, 'amortized'),
);
await recorderFigures(quick);
if (!quick) {
  // Beyond 10,000: a cost per event that grows with the size, as an O(n) step would,
  // shows here as a ratio near 1/3; caches that no longer hold the state, as one near 1.
  runnerEventsPerSecond(30_000, 2);
  const rate = runnerEventsPerSecond(30_000, 10);
  figure({ name: 'runner.events_per_sec.streams_30000', value: Math.round(rate), unit: 'events/s' });
  line({ name: 'runner.scaling_ratio_30000_vs_10000', value: Number((rate / rates[10_000]!).toFixed(3)), unit: 'ratio' });
}

for (const strategy of ['random', 'pct', 'choices'] as const) {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  const runs: number[] = [];
  for (let seed = 1; seed <= (quick ? 5 : 20); seed++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const r = hunt({ model: MODELS.get('legacy-v1.1.4')!, strategy, runs: 2_000, seed });
    const cpu = process.cpuUsage(c0);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    runs.push(r.found ? r.runs : Infinity);
  }
  figure({
    name: `hunt.legacy578.${strategy}.median_ms`,
    value: Math.round(median(ms)),
    unit: 'ms',
    cpu_median_ms: Math.round(median(cpuMs)),
    n: ms.length,
    note: 'to the first deadlock, shrinking included; the CPU time of each hunt beside its wall time',
  });
  line({ name: `hunt.legacy578.${strategy}.median_schedules`, value: median(runs), unit: 'schedules' });
  line({ name: `hunt.legacy578.${strategy}.max_ms`, value: Math.round(Math.max(...ms)), unit: 'ms' });
}

simThroughput(50); // warm-up
spent();
const sim = simThroughput(quick ? 300 : 2_000);
const standard = 'the standard scenario (bench/sim.ts: 2 TAPAs, 2 conduits, 3 streams, faults on) under seeded random schedules';
figure({
  name: 'sim.schedules_per_sec.core.standard_scenario',
  value: Math.round(sim.schedulesPerSec),
  unit: 'schedules/s',
  note: standard,
});
line({
  name: 'sim.steps_per_sec.core',
  value: Math.round(sim.stepsPerSec),
  unit: 'steps/s',
  note: `scheduler steps (tasks run, each checked), ${standard}`,
});

// What two threads of this machine give at all, beside the hunt's speedup: its ceiling.
for (const kind of ['compute', 'allocate'] as const)
  ratioFigure(
    `machine.parallel_speedup_2.${kind}`,
    `work done per second by two threads at once over one thread, the same fixed work (${kind === 'compute' ? 'a loop on registers only' : 'short-lived objects, as the simulator makes'}), alternating`,
    await parallelSpeedups(kind, quick ? 3 : 5),
  );

// A core hunt (portfolio, seed 1, nothing to find) as \`tapa-sim hunt\` runs it, a fresh
// process each time (each worker compiles and warms up on its own, as in CI), with one
// worker and with every core, in alternating pairs so that both see the machine as it is:
// schedules/s per worker and in all (the hunt's own elapsed time, start-up aside), and the
// speedup, medians of the pairs. The hunt is long (20,000 runs) so that each worker's
// warm-up, seconds of V8's optimizing compiler on its background threads, does not decide it.
{
  const cores = cpus().length;
  const runs = quick ? 4_000 : 20_000;
  const cli = new URL('../dist/sim/cli/main.js', import.meta.url).pathname;
  const out = mkdtempSync(join(tmpdir(), 'tapa-bench-hunt-'));
  const timed = (workers: number): number => {
    const args = [
      cli,
      'hunt',
      '--model',
      'core',
      '--runs',
      String(runs),
      '--seed',
      '1',
      '--workers',
      String(workers),
      '--out',
      out,
      '--json',
    ];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the core hunt of the bench exited ${r.status}: ${r.stderr}`);
    return (JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as { elapsedMs: number }).elapsedMs / 1000;
  };
  const one: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < (quick ? 2 : 3); i++) {
    one.push(timed(1));
    all.push(timed(cores));
  }
  rmSync(out, { recursive: true, force: true });
  const note = `tapa-sim hunt --model core --runs ${runs} --seed 1, ${one.length} alternating pairs, medians; CPU time is the children's`;
  figure({ name: 'sim.schedules_per_sec.core', value: Math.round(runs / median(all)), unit: 'schedules/s', workers: cores, runs, note });
  line({ name: 'sim.schedules_per_sec.core.per_worker', value: Math.round(runs / median(one)), unit: 'schedules/s', runs, note });
  const speedups = one.map((t, i) => t / all[i]!);
  line({
    name: `hunt.workers_speedup_${cores}`,
    value: Number(median(speedups).toFixed(2)),
    unit: 'ratio',
    n: speedups.length,
    runs,
    note,
  });
}

// The #578 three-party cycle alone, both ways: fast-check's fc.scheduler over async/await
// (it sees a deadlock only as work left unfinished once nothing is schedulable), and this
// project's goroutine runtime (the wait-for graph reports the cycle when it closes).
const seeds = Array.from({ length: quick ? 10 : 50 }, (_, i) => i + 1);
const peer: number[] = [];
const ours: number[] = [];
for (const seed of seeds) {
  peer.push((await fcSchedulerTimeToFind(seed)).ms);
  ours.push(runtimeTimeToFind(seed).ms);
}
figure({
  name: 'peer.fc_scheduler.578.median_ms',
  value: Number(median(peer).toFixed(3)),
  unit: 'ms',
  detects: 'only as unfinished work after waitAll (no wait-for graph, no stacks)',
});
line({
  name: 'sim.runtime.578_cycle.median_ms',
  value: Number(median(ours).toFixed(3)),
  unit: 'ms',
  detects: 'the wait-for cycle, with stacks, when it closes',
});
line({
  name: 'peer.speedup_vs_fc_scheduler',
  value: Number((median(peer) / median(ours)).toFixed(2)),
  unit: 'ratio',
  note: 'same three-party cycle; above 1 means faster than fc.scheduler',
});

// The sidecar as a process (tapa serve) against the embedded NSP and NSM in another
// process, over its unix socket. Bounded: a stream count not ENABLED in time is reported.
spent();
{
  const [first, ...rest] = await openLatency(quick ? 500 : 5_000, quick ? 100 : 500);
  figure(first!);
  rest.forEach(line);
}
// RSS swings once per refresh round (the NSP entry timeout, 30 s): a full run samples three.
const ROUND_MS = 30_000;
const holdMs = quick ? 5_000 : 3 * ROUND_MS;
const thousand = await openMany(100, quick ? 20_000 : 60_000, holdMs);
figure({
  name: 'sidecar.open_1000_streams_ms',
  value: Math.round(thousand.ms),
  unit: 'ms',
  note: '10 conduits x 100 streams opened at once, until all ENABLED in the NSP',
  opened: thousand.opened,
  enabled: thousand.enabled,
});
const rss = (r: typeof thousand): object => ({
  unit: 'MB',
  note: `median of 1 s samples over ${holdMs / 1_000} s once opened (${(holdMs / ROUND_MS).toFixed(1)} refresh rounds)`,
  n: Math.floor(holdMs / 1_000) + 1,
  max_mb: Math.round(r.peakMb),
  first_mb: Math.round(r.firstMb),
  idle_mb: Math.round(r.idleMb),
  opened: r.opened,
  enabled: r.enabled,
});
line({ name: 'sidecar.rss_mb.streams_1000', value: Math.round(thousand.rssMb), ...rss(thousand), hold: thousand.cost });
const tenThousand = await openMany(1_000, quick ? 8_000 : 120_000, holdMs);
figure({
  name: 'sidecar.rss_mb.streams_10000',
  value: Math.round(tenThousand.rssMb),
  ...rss(tenThousand),
  hold: tenThousand.cost,
  after_ms: Math.round(tenThousand.ms),
  node_flags: SIDECAR_NODE_FLAGS.join(' '),
});
if (!quick) {
  // The same burst under V8's default young generation: what the production flags buy.
  const defaults = await openMany(1_000, 120_000, holdMs, []);
  figure({
    name: 'sidecar.rss_mb.streams_10000_default_gc',
    value: Math.round(defaults.rssMb),
    ...rss(defaults),
    after_ms: Math.round(defaults.ms),
    node_flags: '',
  });
  line({
    name: 'sidecar.rss_ratio.streams_10000.flags_vs_default_gc',
    value: Number((tenThousand.rssMb / defaults.rssMb).toFixed(2)),
    unit: 'ratio',
    note: 'below 1: the production flags use less memory',
  });
}

// Overload: 10,000 streams with a refresh every 10 s against the embedded NSP.
figure(quick ? await enabledFraction(100, 20_000) : await enabledFraction(1_000, 60_000));
line({ load_at_end: load() });
