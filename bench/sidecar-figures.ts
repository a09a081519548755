import { SidecarUnderTest } from './sidecar.js';
import { benchStream } from './world.js';

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
 * connection is already up (the first Open of each conduit is a warm-up, reported apart):
 * the round trip, and from sending it to the target being ENABLED in the NSP.
 */
export async function openLatency(samples: number): Promise<Figure[]> {
  const s = await SidecarUnderTest.start(CONDUITS, 1 + Math.ceil(samples / CONDUITS));
  try {
    const cold: number[] = [];
    for (let c = 0; c < CONDUITS; c++) cold.push((await enabledAfterOpen(s, c, 0)).enabled);
    const rtt: number[] = [];
    const enabled: number[] = [];
    for (let i = 0; i < samples; i++) {
      const r = await enabledAfterOpen(s, i % CONDUITS, 1 + Math.floor(i / CONDUITS));
      rtt.push(r.rtt);
      enabled.push(r.enabled);
    }
    const note = `${samples} Opens one at a time, ${CONDUITS} conduits already connected`;
    return [
      { name: 'sidecar.open_rtt_ms.p50', value: ms(percentile(rtt, 0.5)), unit: 'ms', note },
      { name: 'sidecar.open_rtt_ms.p99', value: ms(percentile(rtt, 0.99)), unit: 'ms', note },
      {
        name: 'sidecar.open_to_enabled_ms.p50',
        value: ms(percentile(enabled, 0.5)),
        unit: 'ms',
        note,
        observed: 'ENABLED in the NSP model',
      },
      {
        name: 'sidecar.open_to_enabled_ms.p99',
        value: ms(percentile(enabled, 0.99)),
        unit: 'ms',
        note,
        first_open_of_a_conduit_p50: ms(percentile(cold, 0.5)),
      },
    ];
  } finally {
    await s.stop();
  }
}

/**
 * The flight recorder's cost on Tap.Open RTT: two sidecars, one recording (its default
 * size) and one not, each Open sent to one then the other, so that both see the same
 * machine; per round of `samples` Opens each, p99 with over p99 without.
 */
export async function openRttRatio(rounds: number, samples: number): Promise<Figure> {
  const perConduit = 1 + Math.ceil((rounds * samples) / CONDUITS);
  const off = await SidecarUnderTest.start(CONDUITS, perConduit, undefined, { MERIDIO_RECORD_EVENTS: '0' });
  const on = await SidecarUnderTest.start(CONDUITS, perConduit);
  try {
    for (let c = 0; c < CONDUITS; c++) for (const s of [off, on]) await enabledAfterOpen(s, c, 0);
    const ratios: number[] = [];
    for (let r = 0, i = 0; r < rounds; r++) {
      const rtt = { off: [] as number[], on: [] as number[] };
      for (let k = 0; k < samples; k++, i++) {
        rtt.off.push((await enabledAfterOpen(off, i % CONDUITS, 1 + Math.floor(i / CONDUITS))).rtt);
        rtt.on.push((await enabledAfterOpen(on, i % CONDUITS, 1 + Math.floor(i / CONDUITS))).rtt);
      }
      ratios.push(percentile(rtt.on, 0.99) / percentile(rtt.off, 0.99));
    }
    return {
      name: 'sidecar.recorder_open_rtt_ratio_p99',
      value: Number(percentile(ratios, 0.5).toFixed(3)),
      max: Number(Math.max(...ratios).toFixed(3)),
      n: `${rounds} rounds of ${samples} Opens each way`,
      unit: 'ratio',
      note: 'Tap.Open RTT p99 with the flight recorder (its default 4096 events) over without, alternating Opens; goal <= 1.05',
    };
  } finally {
    await Promise.all([off.stop(), on.stop()]);
  }
}

async function enabledAfterOpen(s: SidecarUnderTest, c: number, i: number): Promise<{ rtt: number; enabled: number }> {
  const stream = benchStream(c, i);
  const t0 = performance.now();
  const enabled = s.enabled(1, stream).then(() => performance.now() - t0);
  const rtt = await s.open(stream);
  return { rtt, enabled: await enabled };
}

/**
 * A fresh sidecar is asked to open 10 x `streams` streams at once: how long until every
 * target is ENABLED in the NSP (or, `limitMs` after the first Open, how many Opens were
 * answered and targets ENABLED by then), and the sidecar's RSS. RSS is sampled every second
 * for `holdMs` from then on, because right after the burst it is mostly garbage V8 has not
 * collected yet: the figure is the median of the samples (memory while holding the
 * streams), with the first sample and the peak beside it. `nodeFlags` replaces the
 * production flags of the sidecar's Node process (src/grpc/node-flags.ts).
 */
export async function openMany(
  streams: number,
  limitMs: number,
  holdMs: number,
  nodeFlags?: readonly string[],
): Promise<{ ms: number; rssMb: number; firstMb: number; peakMb: number; idleMb: number; opened: number; enabled: number }> {
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
    };
  } finally {
    await s.stop();
  }
}
