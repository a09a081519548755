#!/usr/bin/env node
import { InvalidArgumentError, Option } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, exit } from '../../command.js';
import { demo } from './demo.js';
import { blockedSignature, parseProfile, TRACES_SEPARATOR, type TraceGroup } from '../goroutine/index.js';
import { bucketName } from '../explore/bucket.js';
import type { HuntResult, StrategyName } from '../explore/hunt.js';
import { counterexampleText, merge, MergeError, readShards, type MergedHunt } from '../explore/merge.js';
import { MODELS, PUBLIC_MODELS } from '../models/index.js';
import { replay } from '../explore/replay.js';
import { isRecording, parseRecording, RecordingError, replayRecording, startOf } from '../explore/recording.js';
import type { Start } from '../harness/start.js';
import { Progress, showsProgress } from '../explore/progress.js';
import { hasTapaFrames, reproduceOnWorkers } from '../explore/reproduce.js';
import { drawTrace } from '../swimlane/draw.js';
import { drawRecording } from '../swimlane/recording.js';
import { MAX_SHARDS, parseShard, shardFile, shardSize, WHOLE, type Shard } from '../explore/shard.js';
import { huntSummary, type HuntIdentity } from '../explore/summary.js';
import { defaultWorkers, huntOnWorkers } from '../explore/workers.js';
import { parseTrace, TraceError, type ModelSource, type Trace } from '../explore/trace.js';
import type { Model } from '../harness/model.js';
import { isModelPath, loadModelFile, ModelFileError } from './model-file.js';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

function usage(message: string): never {
  exit('tapa-sim', message, 2);
}

function integer(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^[0-9]+$/.test(text) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return n;
  };
}

function shardArgument(text: string): Shard {
  const shard = parseShard(text);
  if (!shard) throw new InvalidArgumentError(`expected I/N with 0 <= I < N <= ${MAX_SHARDS}, e.g. 0/4`);
  return shard;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A deadlock report ends with the goroutine dump; without --dump only the cycle is shown. */
function withoutDump(message: string): string {
  const at = message.indexOf(`\n${TRACES_SEPARATOR}`);
  return at < 0 ? message : `${message.slice(0, at)}\n  (goroutine dump: --dump)`;
}

/** The run of a counterexample as a swimlane page next to its trace (FILE.json: FILE.html); its path, unless the run cannot be drawn. */
function drawBeside(file: string, trace: Trace, m: Model): string | undefined {
  const drawn = drawTrace(trace, m);
  if (!('html' in drawn)) return undefined;
  const page = file.replace(/\.json$/, '.html');
  writeFileSync(page, drawn.html);
  return page;
}

/** A model and, for a model file, where it came from. */
interface ChosenModel {
  readonly model: Model;
  readonly source?: ModelSource;
}

const MODEL_HELP = `a model (${PUBLIC_MODELS.join(', ')}), or a model file: a path starting with . or / (docs/modelling.md)`;

async function chooseModel(spec: string): Promise<ChosenModel> {
  if (isModelPath(spec)) {
    try {
      return await loadModelFile(spec);
    } catch (e) {
      if (e instanceof ModelFileError) usage(e.message);
      throw e;
    }
  }
  const model = MODELS.get(spec);
  if (!model) usage(`unknown model "${spec}"; known: ${PUBLIC_MODELS.join(', ')}, or a model file (./model.js)`);
  return { model };
}

/**
 * The model a trace runs on: `--model` when given, else the one it was recorded with; a
 * model file from the path recorded in the trace, as given to the hunt (relative to the
 * directory it ran in). A file whose content changed since is used all the same, with a
 * warning: the replay's log check tells whether it still runs the same.
 */
async function modelOfTrace(trace: Trace, file: string, override: string | undefined): Promise<ChosenModel> {
  const chosen = await chooseModel(override ?? trace.modelSource?.path ?? trace.model);
  const recorded = trace.modelSource?.sha256;
  if (recorded !== undefined && chosen.source !== undefined && chosen.source.sha256 !== recorded) {
    process.stderr.write(
      `tapa-sim: warning: ${chosen.source.path} is not the model file ${file} was recorded with (its SHA-256 differs)\n`,
    );
  }
  return chosen;
}

/** The file's text, or exit 2 saying why it cannot be read. */
function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    usage(`${file}: cannot read: ${(e as Error).message}`);
  }
}

function readTrace(file: string): Trace {
  const text = readText(file);
  try {
    return parseTrace(text, [...MODELS.keys()]);
  } catch (e) {
    if (e instanceof TraceError) usage(`${file}: ${e.message}`);
    throw e;
  }
}

/** Writes a page, or exits with why it cannot. */
function writePage(page: string, html: string): void {
  try {
    writeFileSync(page, html);
  } catch (e) {
    usage(`${page}: cannot write: ${(e as Error).message}`);
  }
}

/** The hunt's starting point from a flight recording, or exit 2 with what is wrong with the file. */
function startFromRecording(file: string): Start {
  const text = readText(file);
  try {
    const value: unknown = JSON.parse(text);
    if (!isRecording(value)) usage(`${file}: not a flight recording (tapa record writes one); a trace is replayed, not hunted from`);
    return startOf(parseRecording(value));
  } catch (e) {
    if (e instanceof SyntaxError) usage(`${file}: not a whole recording (cut short?): ${e.message}`);
    if (e instanceof RecordingError) usage(`${file}: ${e.message}`);
    throw e;
  }
}

/** Replays the file if it is a flight recording of a sidecar (`tapa record`), drawn into `html` if given; exits with the outcome's code. */
function replayIfRecording(file: string, html: string | undefined): void {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return; // not readable JSON: the trace reader says what is wrong
  }
  if (!isRecording(value)) return;
  let outcome;
  try {
    const recording = parseRecording(value);
    outcome = replayRecording(recording);
    if (html !== undefined) writePage(html, drawRecording(recording, outcome));
    const kept = recording.dropped > 0 ? `, the last of ${recording.dropped + recording.steps.length} events` : '';
    out(
      `recording ${file} (${recording.why}${recording.fault ? `, core fault ${recording.fault}` : ''}): ${recording.steps.length} steps${kept}`,
    );
  } catch (e) {
    if (e instanceof RecordingError || e instanceof SyntaxError) usage(`${file}: ${e.message}`);
    throw e;
  }
  switch (outcome.kind) {
    case 'passed':
      out(`replay ${file}: ${outcome.steps} steps, every effect as recorded, every invariant held`);
      process.exit(0);
      break;
    case 'failed':
      out(`replay ${file}: ${outcome.message}`);
      process.exit(1);
      break;
    case 'diverged':
      usage(`${file}: the core no longer does what was recorded, at ${outcome.message}`);
  }
}

/** The lines of an ignore file: one signature a line; empty lines and lines starting with # are left out. */
function readIgnoreFile(file: string): string[] {
  return readText(file)
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Where a bucket's trace goes: counterexample.json for a hunt that stops at its first
 * failure, bucket-<hash of the signature>.json for one that keeps going, so that every
 * shard and the merge name a bucket alike; a shard's files carry its index.
 */
function traceFile(dir: string, maxFailures: number | null, signature: string, shard?: Shard): string {
  const base = maxFailures === 1 ? 'counterexample' : bucketName(signature);
  return join(dir, shard ? shardFile(base, shard) : `${base}.json`);
}

const signatures = (n: number): string => `${n} signature${n === 1 ? '' : 's'}`;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const program = command('tapa-sim', 'Deterministic simulation of the TAPA: hunt for deadlocks and liveness bugs, replay traces');

program
  .command('hunt')
  .description('explore scenarios and schedules; shrink and write the first failure found (or one per signature: --keep-going)')
  .requiredOption('--model <name|path>', MODEL_HELP)
  .addOption(
    new Option(
      '--strategy <name>',
      'how schedules are chosen; portfolio rotates random, PCT at depths 2, 3, 5, 10 and choice lists run by run',
    )
      .choices(['portfolio', 'fifo', 'random', 'pct', 'choices'])
      .default('portfolio'),
  )
  .option('--runs <n>', 'runs to explore', integer(1, 10_000_000), 1000)
  .option('--seed <s>', 'seed of the hunt; the same seed explores the same runs', integer(0, 2 ** 32 - 1), 1)
  .option('--depth <d>', 'PCT depth (priority change points + 1), for --strategy pct', integer(1, 100), 3)
  .option('--shard <I/N>', 'explore only shard I of N: the run indices k with k mod N = I (see below)', shardArgument)
  .option('--time-limit <sec>', 'stop exploring after this many seconds of wall time', integer(1, 86_400))
  .option('--workers <n>', 'worker threads exploring runs; the result is the same for any number', integer(1, 1024), defaultWorkers())
  .option('--keep-going', 'go on over the whole run plan after a failure; keep one counterexample per failure signature')
  .option('--max-failures <n>', 'keep going, but stop once failures of N signatures are found', integer(1, 10_000_000))
  .option('--ignore <signature>', 'pass over failures with this signature, as a known bug (repeatable)', collect, [])
  .option('--ignore-file <file>', 'pass over the signatures in FILE: one a line, lines starting with # left out')
  .option(
    '--out <dir>',
    'where to write counterexample.json, or bucket-HASH.json per signature (with --shard: summary-I-of-N.json, ...-I-of-N.json)',
    '.',
  )
  .option('--lockdep', 'also report lock-order cycles (potential deadlocks) from runs that did not deadlock')
  .option(
    '--from-recording <file>',
    "begin every run from a sidecar's flight recording (tapa record): its core at the end, in the world its state implies",
  )
  .option('--json', 'end with one line of JSON')
  .addHelpText(
    'after',
    `
Sharding: run k of a hunt has a seed that depends only on --seed and k, so run k is the same
run whether the hunt is sharded or not. --shard I/N explores the run indices k < --runs with
k mod N = I: the N shards of a hunt explore exactly its runs, each once, and the lowest failing
run index over the shards is the run the unsharded hunt finds. A shard writes
DIR/summary-I-of-N.json, and DIR/counterexample-I-of-N.json when it finds one, so that shards
can share a directory; \`tapa-sim merge\` puts them back together.

Keeping going: every failure has a signature (the deadlock's cycle, the blocked goroutines of a
hang, the rule an invariant broke...). --keep-going buckets failures by signature and keeps, per
bucket, its smallest run (fewest steps, then choices, then the lowest run index), shrunk; each
is written to DIR/bucket-HASH.json. Merged shards give the buckets of one process.`,
  )
  .action(
    async (o: {
      model: string;
      strategy: StrategyName;
      runs: number;
      seed: number;
      depth: number;
      shard?: Shard;
      timeLimit?: number;
      workers: number;
      keepGoing?: boolean;
      maxFailures?: number;
      ignore: string[];
      ignoreFile?: string;
      out: string;
      json?: boolean;
      lockdep?: boolean;
      fromRecording?: string;
    }) => {
      const { model: m, source } = await chooseModel(o.model);
      if (o.fromRecording !== undefined && !m.resumes)
        usage(`model ${m.name} cannot begin from a recorded core; --from-recording takes the core or a broken core`);
      const start = o.fromRecording === undefined ? undefined : startFromRecording(o.fromRecording);
      const ignore = [...new Set([...o.ignore, ...(o.ignoreFile === undefined ? [] : readIgnoreFile(o.ignoreFile))])].sort();
      const maxFailures = o.maxFailures ?? (o.keepGoing ? null : 1);
      const started = Date.now();
      const shard = o.shard ?? WHOLE;
      const progress = new Progress(process.stderr, showsProgress(process.stderr, o.json === true), 'runs', shardSize(o.runs, shard));
      const result = await huntOnWorkers({
        model: m,
        modelSpec: o.model,
        workers: o.workers,
        strategy: o.strategy,
        runs: o.runs,
        seed: o.seed,
        depth: o.depth,
        maxFailures: maxFailures ?? Infinity,
        ignore: new Set(ignore),
        ...(source ? { note: { modelSource: source } } : {}),
        ...(o.lockdep ? { lockdep: true } : {}),
        ...(start ? { start } : {}),
        ...(o.shard ? { shard: o.shard } : {}),
        ...(o.timeLimit === undefined ? {} : { deadline: started + o.timeLimit * 1000 }),
        progress: (done, found) => progress.update(done, found),
      });
      progress.end();
      const elapsedMs = Date.now() - started;
      const identity: HuntIdentity = {
        model: m.name,
        strategy: o.strategy,
        seed: o.seed,
        depth: o.depth,
        lockdep: o.lockdep === true,
        planned: o.runs,
        maxFailures,
        ignore,
        modelHash: source?.sha256 ?? null,
      };
      const written = new Map<string, string>();
      const pages = new Map<string, string>();
      if (result.buckets.length > 0) mkdirSync(o.out, { recursive: true });
      for (const b of result.buckets) {
        const file = traceFile(o.out, maxFailures, b.signature, o.shard);
        writeFileSync(file, `${JSON.stringify(b.trace, null, 1)}\n`);
        written.set(b.signature, file);
        const page = drawBeside(file, b.trace, m);
        if (page) pages.set(b.signature, page);
      }
      const summary: Record<string, unknown> = {
        ...huntSummary(identity, o.shard ?? WHOLE, result, written),
        ...(start ? { fromRecording: { why: start.recording, steps: start.steps } } : {}),
        schedules: result.runs,
        elapsedMs,
      };
      const from = start ? `, from ${o.fromRecording} after its step ${start.steps}` : '';
      const label = `hunt ${m.name} (${o.strategy}, seed ${o.seed}${o.shard ? `, shard ${o.shard.index}/${o.shard.count}` : ''}${from})`;
      const rate = result.runs / Math.max(elapsedMs / 1000, 0.001);
      const passedOver = result.ignored > 0 ? `, ${result.ignored} failing runs of ignored signatures passed over` : '';
      if (maxFailures !== 1) {
        reportBuckets(label, result, written, pages, elapsedMs, passedOver);
      } else if (!result.trace) {
        out(`${label}: ${result.runs} runs in ${seconds(elapsedMs)} (${rate.toFixed(0)} schedules/s): nothing found${passedOver}`);
      } else {
        const t = result.trace;
        const file = written.get(result.buckets[0]!.signature)!;
        Object.assign(summary, { steps: t.scenario.steps.length, choices: t.choices.length, message: t.failure?.message });
        out(`${label}: found ${result.kind} in run ${result.run} (${result.runs} runs explored) after ${seconds(elapsedMs)}${passedOver}`);
        out(`  ${t.failure?.message ?? ''}`);
        out(
          `  shrunk from ${result.original?.steps} steps / ${result.original?.choices} choices to ${t.scenario.steps.length} steps / ${t.choices.length} choices`,
        );
        out(`  signature: ${t.failure?.signature ?? ''}`);
        out(`  counterexample: ${file}`);
        const page = pages.get(result.buckets[0]!.signature);
        if (page) out(`  as a picture: ${page}`);
        out(`  replay it: tapa-sim replay ${file}`);
      }
      if (o.shard) {
        mkdirSync(o.out, { recursive: true });
        writeFileSync(join(o.out, shardFile('summary', o.shard)), `${JSON.stringify(summary)}\n`);
      }
      if (o.json) out(JSON.stringify(summary));
      process.exit(result.found ? 1 : 0);
    },
  );

/** A hunt that kept going: one paragraph per signature. */
function reportBuckets(
  label: string,
  result: HuntResult,
  written: ReadonlyMap<string, string>,
  pages: ReadonlyMap<string, string>,
  elapsedMs: number,
  passedOver: string,
): void {
  const failing = result.buckets.reduce((n, b) => n + b.count, 0);
  const found = result.buckets.length === 0 ? 'nothing found' : `${signatures(result.buckets.length)} in ${failing} failing runs`;
  out(`${label}: ${result.runs} runs in ${seconds(elapsedMs)}: ${found}${passedOver}`);
  for (const b of result.buckets) {
    const t = b.trace;
    out(
      `  ${b.kind} x ${b.count} (first in run ${b.firstRun}); run ${b.run} kept, shrunk from ${b.original.steps} steps / ${b.original.choices} choices to ${t.scenario.steps.length} / ${t.choices.length}`,
    );
    out(`    signature: ${b.signature}`);
    out(`    counterexample: ${written.get(b.signature)}${pages.has(b.signature) ? ` (picture: ${pages.get(b.signature)})` : ''}`);
  }
  if (result.buckets.length > 0)
    out(`  replay one: tapa-sim replay ${written.get(result.buckets[0]!.signature)}; hunt past one: --ignore SIGNATURE`);
}

program
  .command('replay <file>')
  .description(
    "re-run a trace and check that it runs as recorded; or a sidecar's flight recording (tapa record): its effects and invariants",
  )
  .option(
    '--model <name|path>',
    "run the trace's scenario on another model; for a trace of a model file, the file (default: its recorded path)",
  )
  .option('--dump', 'after a deadlock, print the goroutine dump (pprof traces form) too')
  .option(
    '--html <file>',
    'also draw the run as a self-contained HTML page: a lane per goroutine or actor, locks, waits, the deadlock cycle; for a recording, its steps in lanes of the application, NSP, NSM, timers and the core',
  )
  .action(async (file: string, o: { model?: string; dump?: boolean; html?: string }) => {
    replayIfRecording(file, o.html);
    const trace = readTrace(file);
    const { model: m } = await modelOfTrace(trace, file, o.model);
    const drawn = o.html === undefined ? undefined : drawTrace(trace, m);
    const outcome = drawn?.outcome ?? replay(trace, m);
    if (drawn && 'html' in drawn && o.html !== undefined) writePage(o.html, drawn.html);
    switch (outcome.kind) {
      case 'diverged':
        usage(`${file}: ${outcome.message}`);
        break;
      case 'failed':
        out(`replay ${file} on ${m.name}: ${outcome.failure.kind} at t=${outcome.failure.time} ms after ${outcome.steps} steps`);
        out(`  ${o.dump ? outcome.failure.message : withoutDump(outcome.failure.message)}`);
        process.exit(1);
        break;
      case 'passed':
        out(`replay ${file} on ${m.name}: ${outcome.steps} steps, every check passed`);
        process.exit(0);
    }
  });

program
  .command('merge <dir...>')
  .description(
    'put the shards of a hunt back together (hunt --shard I/N --out DIR): every shard once, all of one hunt; keep what one process keeps (the failure of lowest run index, or with --keep-going one run per signature)',
  )
  .option('--out <dir>', 'where to write counterexample.json (with --keep-going: bucket-HASH.json per signature)', '.')
  .option('--model <name|path>', 'the model file the shards ran, to draw the counterexamples (default: the path recorded in them)')
  .option('--json', 'end with one line of JSON')
  .action(async (dirs: string[], o: { out: string; model?: string; json?: boolean }) => {
    let merged: MergedHunt;
    let texts: string[];
    try {
      merged = merge(readShards(dirs));
      texts = merged.buckets.map(counterexampleText);
    } catch (e) {
      if (e instanceof MergeError) usage(e.message);
      throw e;
    }
    const { buckets, ...whole } = merged;
    const label = `merge ${whole.model} (${whole.strategy}, seed ${whole.seed}): ${whole.shards} shards, ${whole.runs} of ${whole.planned} runs explored`;
    const summary: Record<string, unknown> = { ...whole, found: buckets.length > 0, kind: buckets[0]?.kind ?? null };
    const files: Record<string, unknown>[] = [];
    const progress = new Progress(process.stderr, showsProgress(process.stderr, o.json === true), 'counterexamples', buckets.length);
    if (buckets.length === 0) out(`${label}: nothing found`);
    else if (whole.maxFailures !== 1)
      out(`${label}: ${signatures(buckets.length)} in ${buckets.reduce((n, b) => n + b.count, 0)} failing runs`);
    // Printed after the progress line is wiped, so as not to mix with it.
    const lines: string[] = [];
    for (const [i, b] of buckets.entries()) {
      progress.update(i);
      mkdirSync(o.out, { recursive: true });
      const file = traceFile(o.out, whole.maxFailures, b.signature);
      writeFileSync(file, texts[i]!);
      // merge checked the trace already; parsing it again cannot fail.
      const trace = parseTrace(texts[i]!, [...MODELS.keys()]);
      const page = drawBeside(file, trace, (await modelOfTrace(trace, file, o.model)).model);
      const { signature, kind, count, firstRun, run, runSeed, original, summary: from } = b;
      files.push({ signature, kind, count, firstRun, run, runSeed, original, shard: from.shard, counterexample: file });
      if (whole.maxFailures === 1) {
        Object.assign(summary, { run, runSeed, shard: from.shard, counterexample: file });
        lines.push(`${label}: found ${kind} in run ${run} (shard ${from.shard.index}/${whole.shards})`);
        lines.push(`  counterexample: ${file}`);
        if (page) lines.push(`  as a picture: ${page}`);
        lines.push(`  replay it: tapa-sim replay ${file}`);
      } else {
        lines.push(`  ${kind} x ${count} (first in run ${firstRun}); run ${run} kept (shard ${from.shard.index}/${whole.shards})`);
        lines.push(`    signature: ${signature}`);
        lines.push(`    counterexample: ${file}${page ? ` (picture: ${page})` : ''}`);
      }
    }
    progress.end();
    lines.forEach(out);
    if (whole.maxFailures !== 1) summary['buckets'] = files;
    if (whole.stopped.length > 0) out(`  shards ${whole.stopped.join(', ')} stopped at their time limit: some runs were not explored`);
    if (o.json) out(JSON.stringify(summary));
    process.exit(buckets.length > 0 ? 1 : 0);
  });

program
  .command('reproduce')
  .description("search a model for a run whose goroutine dump blocks where a bug report's profile does; write it as a trace")
  .requiredOption('--from-pprof <file>', 'goroutine profile: `go tool pprof -traces` output or a debug=2 dump')
  .requiredOption('--model <name|path>', MODEL_HELP)
  .option('--seed <s>', 'seed of the search; the same seed tries the same runs', integer(0, 2 ** 32 - 1), 1)
  .option('--time-limit <sec>', 'give up after this many seconds of wall time', integer(1, 86_400), 60)
  .option(
    '--runs <n>',
    'give up after this many runs: then the outcome depends on the seed only, not on the machine',
    integer(1, 1_000_000_000),
  )
  .option('--workers <n>', 'worker threads trying runs; the result is the same for any number', integer(1, 1024), defaultWorkers())
  .option('--out <dir>', 'where to write reproduction.json', '.')
  .option('--json', 'end with one line of JSON')
  .action(
    async (o: {
      fromPprof: string;
      model: string;
      seed: number;
      timeLimit: number;
      runs?: number;
      workers: number;
      out: string;
      json?: boolean;
    }) => {
      const { model: m, source } = await chooseModel(o.model);
      let text: string;
      try {
        text = readFileSync(o.fromPprof, 'utf8');
      } catch (e) {
        usage(`${o.fromPprof}: cannot read: ${(e as Error).message}`);
      }
      let profile: TraceGroup[];
      try {
        profile = parseProfile(text);
      } catch (e) {
        usage(`${o.fromPprof}: ${(e as Error).message}`);
      }
      if (!hasTapaFrames(profile))
        usage(`${o.fromPprof}: no TAPA frames (packages tap, conduit, stream, trench): not a TAPA goroutine profile`);
      const target = blockedSignature(profile);
      if (target.size === 0) usage(`${o.fromPprof}: no goroutine is blocked on a mutex or WaitGroup: nothing to reproduce`);
      const started = Date.now();
      const progress = new Progress(process.stderr, showsProgress(process.stderr, o.json === true), 'runs', o.runs);
      const result = await reproduceOnWorkers({
        profile,
        model: m,
        modelSpec: o.model,
        workers: o.workers,
        seed: o.seed,
        timeLimitMs: o.timeLimit * 1000,
        ...(source ? { note: { modelSource: source } } : {}),
        ...(o.runs === undefined ? {} : { maxRuns: o.runs }),
        progress: (tries) => progress.update(tries),
      });
      progress.end();
      const elapsedMs = Date.now() - started;
      const fmt = (entries: Iterable<readonly [string, number]>): string =>
        [...entries].map(([k, n]) => `${n} x ${k}`).join(', ') || '(none)';
      if (result.found) {
        mkdirSync(o.out, { recursive: true });
        const file = join(o.out, 'reproduction.json');
        writeFileSync(file, `${JSON.stringify(result.trace, null, 1)}\n`);
        out(
          `reproduce ${o.fromPprof} on ${m.name} (seed ${o.seed}): exact match after ${result.tries} runs in ${(elapsedMs / 1000).toFixed(1)} s`,
        );
        out(`  blocked: ${fmt(target)}`);
        out(`  trace: ${file}`);
        out(`  replay it: tapa-sim replay ${file} --dump`);
        if (o.json) out(JSON.stringify({ found: true, tries: result.tries, elapsedMs, file }));
        process.exit(0);
      }
      out(
        `reproduce ${o.fromPprof} on ${m.name} (seed ${o.seed}): no exact match in ${result.tries} runs (${(elapsedMs / 1000).toFixed(1)} s)`,
      );
      out(`  report:  ${fmt(target)}`);
      out(`  closest: ${fmt(result.closest)}`);
      out(`  missing (in the report, not produced): ${fmt(result.missing)}`);
      out(`  extra (produced, not in the report): ${fmt(result.extra)}`);
      if (o.json) {
        out(
          JSON.stringify({
            found: false,
            tries: result.tries,
            elapsedMs,
            closest: Object.fromEntries(result.closest),
            missing: result.missing,
            extra: result.extra,
          }),
        );
      }
      process.exit(1);
    },
  );

program
  .command('demo')
  .description('walk the TAPA core through open, an NSM IP change and shutdown')
  .action(() => demo(out));

await program.parseAsync();
