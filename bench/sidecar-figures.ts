import { SidecarUnderTest } from './sidecar.js';
import { benchStream, epochNow } from './world.js';

const CONDUITS = 10;

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly [more: string]: unknown;
}

/** The value below which `p` of the samples lie (nearest rank). */
function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

const ms = (x: number): number => Number(x.toFixed(2));

/**
 * Tap.Open latency, one Open at a time over the unix socket, on conduits whose NSM
 * connection is already up (the first Open of each conduit is reported apart), after
 * `warmup` Opens that are not counted: the round trip; right after each, the same message
 * to a bare grpc-js server in the world process over a unix socket, so that the ratio of
 * their p99 holds on a busy machine; and from sending the Open to the
 * target being ENABLED in the NSP, as the world process saw it, collected after the Open's
 * round trip so that no answer about it lands in the middle of the call being timed.
 */
export async function openLatency(samples: number, warmup: number): Promise<Figure[]> {
  const s = await SidecarUnderTest.start(CONDUITS, 1 + Math.ceil((samples + warmup) / CONDUITS));
  try {
    const cold: number[] = [];
    for (let c = 0; c < CONDUITS; c++) cold.push((await enabledAfterOpen(s, c, 0)).enabled);
    const rtt: number[] = [];
    const bare: number[] = [];
    const enabled: number[] = [];
    const cost = new Cost(s);
    for (let i = 0; i < warmup + samples; i++) {
      if (i === warmup) cost.start();
      const r = await enabledAfterOpen(s, i % CONDUITS, 1 + Math.floor(i / CONDUITS));
      if (i < warmup) continue;
      rtt.push(r.rtt);
      bare.push(r.bare);
      enabled.push(r.enabled);
    }
    const n = samples;
    const note = `${samples} Opens one at a time after ${warmup} not counted, ${CONDUITS} conduits already connected`;
    const spent = cost.end();
    return [
      { name: 'sidecar.open_rtt_ms.p50', value: ms(percentile(rtt, 0.5)), unit: 'ms', n, note },
      { name: 'sidecar.open_rtt_ms.p99', value: ms(percentile(rtt, 0.99)), unit: 'ms', n, note, ...spent },
      {
        name: 'sidecar.bare_grpc_unary_rtt_ms.p50',
        value: ms(percentile(bare, 0.5)),
        unit: 'ms',
        n,
        note: 'the same Open message to a bare grpc-js server in the world process, right after each Open',
      },
      { name: 'sidecar.bare_grpc_unary_rtt_ms.p99', value: ms(percentile(bare, 0.99)), unit: 'ms', n },
      {
        name: 'sidecar.open_rtt_ratio_p99',
        value: Number((percentile(rtt, 0.99) / percentile(bare, 0.99)).toFixed(2)),
        unit: 'ratio',
        n,
        note: 'Tap.Open p99 over the bare grpc-js unary p99, same run',
      },
      {
        name: 'sidecar.open_to_enabled_ms.p50',
        value: ms(percentile(enabled, 0.5)),
        unit: 'ms',
        n,
        note,
        observed: 'ENABLED in the NSP model',
      },
      {
        name: 'sidecar.open_to_enabled_ms.p99',
        value: ms(percentile(enabled, 0.99)),
        unit: 'ms',
        n,
        note,
        first_open_of_a_conduit_p50: ms(percentile(cold, 0.5)),
      },
    ];
  } finally {
    await s.stop();
  }
}

/**
 * The flight recorder's cost on Tap.Open RTT: two sidecars, one recording (the default,
 * MERIDIO_RECORD_EVENTS=4096) and one not (0), each Open sent to one then the other after
 * `warmup` of each, so that both see the same machine; p99 with over p99 without, for each
 * of `rounds` rounds of `samples` Opens each.
 */
export async function recorderOpenRttRatios(rounds: number, samples: number, warmup: number): Promise<number[]> {
  const perConduit = 1 + Math.ceil((rounds * samples + warmup) / CONDUITS);
  const off = await SidecarUnderTest.start(CONDUITS, perConduit, undefined, { MERIDIO_RECORD_EVENTS: '0' });
  const on = await SidecarUnderTest.start(CONDUITS, perConduit, undefined, { MERIDIO_RECORD_EVENTS: '4096' });
  try {
    for (let c = 0; c < CONDUITS; c++) for (const s of [off, on]) await enabledAfterOpen(s, c, 0);
    const ratios: number[] = [];
    let rtt = { off: [] as number[], on: [] as number[] };
    for (let i = 0; i < warmup + rounds * samples; i++) {
      // Which sidecar goes first alternates, so that what the first leaves to the world and to this process falls on both alike.
      const [c, n] = [i % CONDUITS, 1 + Math.floor(i / CONDUITS)];
      const first = i % 2 === 0 ? off : on;
      const second = first === off ? on : off;
      const [a, b] = [await enabledAfterOpen(first, c, n), await enabledAfterOpen(second, c, n)];
      const [without, withIt] = first === off ? [a, b] : [b, a];
      if (i < warmup) continue;
      rtt.off.push(without.rtt);
      rtt.on.push(withIt.rtt);
      if (rtt.on.length < samples) continue;
      ratios.push(percentile(rtt.on, 0.99) / percentile(rtt.off, 0.99));
      rtt = { off: [], on: [] };
    }
    return ratios;
  } finally {
    await Promise.all([off.stop(), on.stop()]);
  }
}

/**
 * The flight recorder's cost where production pays it: the sidecar process's CPU seconds to
 * open `streams` streams over the conduits and see all of them ENABLED, without the recorder
 * over with it, one ratio per pair of sidecars run one after the other (which goes first
 * alternating). Both do the same work against the same world, so the ratio is what the
 * recorder adds to the CPU time of that work, counted with what grpc-js, the sockets and the
 * collector's threads cost the sidecar besides the runner.
 */
export async function recorderSidecarCpuRatios(pairs: number, streams: number): Promise<number[]> {
  const perConduit = Math.ceil(streams / CONDUITS);
  const cpuToOpen = async (recordEvents: string): Promise<number> => {
    const s = await SidecarUnderTest.start(CONDUITS, perConduit, undefined, { MERIDIO_RECORD_EVENTS: recordEvents });
    try {
      const before = s.cpuSeconds().sidecar;
      for (let i = 0; i < perConduit; i++) for (let c = 0; c < CONDUITS; c++) s.open(benchStream(c, i)).catch(() => undefined);
      await s.enabled(CONDUITS * perConduit, undefined, 120_000);
      return s.cpuSeconds().sidecar - before;
    } finally {
      await s.stop();
    }
  };
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = i % 2 === 0 ? '0' : '4096';
    const [a, b] = [await cpuToOpen(first), await cpuToOpen(first === '0' ? '4096' : '0')];
    ratios.push(first === '0' ? a / b : b / a);
  }
  return ratios;
}

async function enabledAfterOpen(s: SidecarUnderTest, c: number, i: number): Promise<{ rtt: number; bare: number; enabled: number }> {
  const stream = benchStream(c, i);
  const watch = s.watchEnabled(stream);
  const sent = epochNow();
  const rtt = await s.open(stream);
  const bare = await s.bareOpen(stream);
  return { rtt, bare, enabled: (await watch.collect()) - sent };
}

/** Wall and CPU seconds of a measurement: the bench's own, the sidecar's and the world process's. */
class Cost {
  private wall = 0;
  private own = process.cpuUsage();
  private others = { sidecar: 0, world: 0 };

  constructor(private readonly s: SidecarUnderTest) {}

  start(): void {
    this.wall = performance.now();
    this.own = process.cpuUsage();
    this.others = this.s.cpuSeconds();
  }

  end(): Record<string, number> {
    const own = process.cpuUsage(this.own);
    const others = this.s.cpuSeconds();
    const secs = (x: number): number => Number(x.toFixed(2));
    return {
      wall_s: secs((performance.now() - this.wall) / 1000),
      cpu_s_sidecar: secs(others.sidecar - this.others.sidecar),
      cpu_s_world: secs(others.world - this.others.world),
      cpu_s_bench: secs((own.user + own.system) / 1e6),
    };
  }
}

/**
 * A fresh sidecar is asked to open 10 x `streams` streams at once: how long until every
 * target is ENABLED in the NSP (or, `limitMs` after the first Open, how many Opens were
 * answered and targets ENABLED by then), and the sidecar's RSS. RSS is sampled every second
 * for `holdMs` from then on, because right after the burst it is mostly garbage V8 has not
 * collected yet: the figure is the median of the samples (memory while holding the
 * streams), with the first sample and the peak beside it, and the CPU time of the hold
 * (refresh rounds only). `nodeFlags` replaces the
 * production flags of the sidecar's Node process (src/grpc/node-flags.ts).
 */
export async function openMany(
  streams: number,
  limitMs: number,
  holdMs: number,
  nodeFlags?: readonly string[],
): Promise<{
  ms: number;
  rssMb: number;
  firstMb: number;
  peakMb: number;
  idleMb: number;
  opened: number;
  enabled: number;
  cost: Record<string, number>;
}> {
  const s = await SidecarUnderTest.start(CONDUITS, streams, nodeFlags);
  try {
    const idleMb = s.rssMb();
    const total = CONDUITS * streams;
    const t0 = performance.now();
    let opened = 0;
    // An Open still on its way when the sidecar stops fails; it is simply not counted.
    for (let i = 0; i < streams; i++)
      for (let c = 0; c < CONDUITS; c++)
        s.open(benchStream(c, i)).then(
          () => opened++,
          () => undefined,
        );
    const all = await s.enabled(total, undefined, limitMs).then(
      () => true,
      () => false,
    );
    const elapsed = performance.now() - t0;
    const enabled = all ? total : await s.enabled(0);
    const cost = new Cost(s);
    cost.start();
    const samples = [s.rssMb()];
    for (let waited = 0; waited < holdMs; waited += 1_000) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      samples.push(s.rssMb());
    }
    return {
      ms: elapsed,
      rssMb: percentile(samples, 0.5),
      firstMb: samples[0]!,
      peakMb: Math.max(...samples),
      idleMb,
      opened: all ? total : opened,
      enabled,
      cost: cost.end(),
    };
  } finally {
    await s.stop();
  }
}
