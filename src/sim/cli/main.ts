#!/usr/bin/env node
import { InvalidArgumentError, Option } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, exit } from '../../command.js';
import { demo } from './demo.js';
import { blockedSignature, parseProfile, TRACES_SEPARATOR, type TraceGroup } from '../goroutine/index.js';
import { hunt, type StrategyName } from '../explore/hunt.js';
import { counterexampleText, merge, MergeError, readShards, type MergedHunt } from '../explore/merge.js';
import { MODELS, PUBLIC_MODELS } from '../models/index.js';
import { replay } from '../explore/replay.js';
import { hasTapaFrames, reproduce } from '../explore/reproduce.js';
import { drawTrace } from '../swimlane/draw.js';
import { MAX_SHARDS, parseShard, shardFile, WHOLE, type Shard } from '../explore/shard.js';
import { huntSummary } from '../explore/summary.js';
import { parseTrace, TraceError, type Trace } from '../explore/trace.js';
import type { Model } from '../harness/model.js';

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

function model(name: string) {
  const m = MODELS.get(name);
  if (!m) usage(`unknown model "${name}"; known: ${PUBLIC_MODELS.join(', ')}`);
  return m;
}

const program = command('tapa-sim', 'Deterministic simulation of the TAPA: hunt for deadlocks and liveness bugs, replay traces');

program
  .command('hunt')
  .description('explore scenarios and schedules; shrink and write the first failure found')
  .requiredOption('--model <name>', `model to run (${PUBLIC_MODELS.join(', ')})`)
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
  .option('--out <dir>', 'where to write counterexample.json (with --shard: summary-I-of-N.json, counterexample-I-of-N.json)', '.')
  .option('--lockdep', 'also report lock-order cycles (potential deadlocks) from runs that did not deadlock')
  .option('--json', 'end with one line of JSON')
  .addHelpText(
    'after',
    `
Sharding: run k of a hunt has a seed that depends only on --seed and k, so run k is the same
run whether the hunt is sharded or not. --shard I/N explores the run indices k < --runs with
k mod N = I: the N shards of a hunt explore exactly its runs, each once, and the lowest failing
run index over the shards is the run the unsharded hunt finds. A shard writes
DIR/summary-I-of-N.json, and DIR/counterexample-I-of-N.json when it finds one, so that shards
can share a directory; \`tapa-sim merge\` puts them back together.`,
  )
  .action(
    (o: {
      model: string;
      strategy: StrategyName;
      runs: number;
      seed: number;
      depth: number;
      shard?: Shard;
      timeLimit?: number;
      out: string;
      json?: boolean;
      lockdep?: boolean;
    }) => {
      const m = model(o.model);
      const started = Date.now();
      const limit = o.timeLimit === undefined ? Infinity : started + o.timeLimit * 1000;
      const tty = process.stderr.isTTY === true;
      const result = hunt({
        model: m,
        strategy: o.strategy,
        runs: o.runs,
        seed: o.seed,
        depth: o.depth,
        ...(o.lockdep ? { lockdep: true } : {}),
        ...(o.shard ? { shard: o.shard } : {}),
        stop: () => Date.now() > limit,
        progress: (i) => {
          if (tty && i % 100 === 0) process.stderr.write(`\r  ${i} / ${o.runs} runs`);
        },
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const elapsedMs = Date.now() - started;
      const summary: Record<string, unknown> = {
        ...huntSummary(
          { model: m.name, strategy: o.strategy, seed: o.seed, depth: o.depth, lockdep: o.lockdep === true, planned: o.runs },
          o.shard ?? WHOLE,
          result,
        ),
        schedules: result.runs,
        elapsedMs,
      };
      const label = `${m.name} (${o.strategy}, seed ${o.seed}${o.shard ? `, shard ${o.shard.index}/${o.shard.count}` : ''})`;
      const rate = result.runs / Math.max(elapsedMs / 1000, 0.001);
      if (!result.found || !result.trace) {
        out(`hunt ${label}: ${result.runs} runs in ${(elapsedMs / 1000).toFixed(1)} s (${rate.toFixed(0)} schedules/s): nothing found`);
      } else {
        const t = result.trace;
        mkdirSync(o.out, { recursive: true });
        const file = join(o.out, o.shard ? shardFile('counterexample', o.shard) : 'counterexample.json');
        writeFileSync(file, `${JSON.stringify(t, null, 1)}\n`);
        const page = drawBeside(file, t, m);
        Object.assign(summary, {
          steps: t.scenario.steps.length,
          choices: t.choices.length,
          counterexample: file,
          message: t.failure?.message,
        });
        out(
          `hunt ${label}: found ${result.kind} in run ${result.run} (${result.runs} runs explored) after ${(elapsedMs / 1000).toFixed(1)} s`,
        );
        out(`  ${t.failure?.message ?? ''}`);
        out(
          `  shrunk from ${result.original?.steps} steps / ${result.original?.choices} choices to ${t.scenario.steps.length} steps / ${t.choices.length} choices`,
        );
        out(`  counterexample: ${file}`);
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

program
  .command('replay <file>')
  .description('re-run a trace and check that it runs as recorded')
  .option('--model <name>', "run the trace's scenario on another model")
  .option('--dump', 'after a deadlock, print the goroutine dump (pprof traces form) too')
  .option(
    '--html <file>',
    'also draw the run as a self-contained HTML page: a lane per goroutine or actor, locks, waits, the deadlock cycle',
  )
  .action((file: string, o: { model?: string; dump?: boolean; html?: string }) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      usage(`${file}: cannot read: ${(e as Error).message}`);
    }
    let trace;
    try {
      trace = parseTrace(text, [...MODELS.keys()]);
    } catch (e) {
      if (e instanceof TraceError) usage(`${file}: ${e.message}`);
      throw e;
    }
    const m = model(o.model ?? trace.model);
    const drawn = o.html === undefined ? undefined : drawTrace(trace, m);
    const outcome = drawn?.outcome ?? replay(trace, m);
    if (drawn && 'html' in drawn && o.html !== undefined) {
      try {
        writeFileSync(o.html, drawn.html);
      } catch (e) {
        usage(`${o.html}: cannot write: ${(e as Error).message}`);
      }
    }
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
    'put the shards of a hunt back together (hunt --shard I/N --out DIR): every shard once, all of one hunt; keep the failure of lowest run index, the one the unsharded hunt finds',
  )
  .option('--out <dir>', 'where to write counterexample.json', '.')
  .option('--json', 'end with one line of JSON')
  .action((dirs: string[], o: { out: string; json?: boolean }) => {
    let merged: MergedHunt;
    let trace: string | undefined;
    try {
      merged = merge(readShards(dirs));
      trace = merged.first && counterexampleText(merged.first);
    } catch (e) {
      if (e instanceof MergeError) usage(e.message);
      throw e;
    }
    const { first, ...whole } = merged;
    const summary: Record<string, unknown> = { ...whole, found: first !== undefined, kind: first?.summary.kind ?? null };
    const label = `merge ${whole.model} (${whole.strategy}, seed ${whole.seed}): ${whole.shards} shards, ${whole.runs} of ${whole.planned} runs explored`;
    if (!first || trace === undefined) {
      out(`${label}: nothing found`);
    } else {
      mkdirSync(o.out, { recursive: true });
      const file = join(o.out, 'counterexample.json');
      writeFileSync(file, trace);
      // merge checked the trace already; parsing it again cannot fail.
      const page = drawBeside(file, parseTrace(trace, [...MODELS.keys()]), model(whole.model));
      Object.assign(summary, { run: first.run, runSeed: first.summary.runSeed, shard: first.summary.shard, counterexample: file });
      out(`${label}: found ${first.summary.kind} in run ${first.run} (shard ${first.summary.shard.index}/${whole.shards})`);
      out(`  counterexample: ${file}`);
      if (page) out(`  as a picture: ${page}`);
      out(`  replay it: tapa-sim replay ${file}`);
    }
    if (whole.stopped.length > 0) out(`  shards ${whole.stopped.join(', ')} stopped at their time limit: some runs were not explored`);
    if (o.json) out(JSON.stringify(summary));
    process.exit(first ? 1 : 0);
  });

program
  .command('reproduce')
  .description("search a model for a run whose goroutine dump blocks where a bug report's profile does; write it as a trace")
  .requiredOption('--from-pprof <file>', 'goroutine profile: `go tool pprof -traces` output or a debug=2 dump')
  .requiredOption('--model <name>', `model to search (${PUBLIC_MODELS.join(', ')})`)
  .option('--seed <s>', 'seed of the search; the same seed tries the same runs', integer(0, 2 ** 32 - 1), 1)
  .option('--time-limit <sec>', 'give up after this many seconds of wall time', integer(1, 86_400), 60)
  .option(
    '--runs <n>',
    'give up after this many runs: then the outcome depends on the seed only, not on the machine',
    integer(1, 1_000_000_000),
  )
  .option('--out <dir>', 'where to write reproduction.json', '.')
  .option('--json', 'end with one line of JSON')
  .action((o: { fromPprof: string; model: string; seed: number; timeLimit: number; runs?: number; out: string; json?: boolean }) => {
    const m = model(o.model);
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
    const result = reproduce({
      profile,
      model: m,
      seed: o.seed,
      timeLimitMs: o.timeLimit * 1000,
      ...(o.runs === undefined ? {} : { maxRuns: o.runs }),
    });
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
  });

program
  .command('demo')
  .description('walk the TAPA core through open, an NSM IP change and shutdown')
  .action(() => demo(out));

program.parse();
