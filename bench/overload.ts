import { SidecarUnderTest } from './sidecar.js';
import type { Figure } from './sidecar-figures.js';
import { benchStream } from './world.js';

const CONDUITS = 10;
const OPENS_AT_ONCE = 200;

/**
 * Overload (issue 16, item 7): a fresh sidecar is asked to open 10 x `streams` streams at
 * once with a short refresh period (MERIDIO_NSP_ENTRY_TIMEOUT `refresh`), so that keeping
 * the targets alive and acquiring new ones compete for the NSP. The figure is the share
 * of the streams ENABLED in the NSP `afterMs` after the first Open; the count every 10 s
 * shows whether it grows steadily or collapses.
 */
export async function enabledFraction(streams: number, afterMs: number, refresh = '10s'): Promise<Figure> {
  const s = await SidecarUnderTest.start(CONDUITS, streams, undefined, { MERIDIO_NSP_ENTRY_TIMEOUT: refresh });
  try {
    const total = CONDUITS * streams;
    const cpu0 = s.cpuSeconds();
    const t0 = performance.now();
    let opened = 0;
    let refused = 0;
    // Some hundreds at a time, as many as a pod's applications would: the load under test is
    // the NSP's (a burst of 10,000 on one Tap connection is served too: test/grpc/burst.test.ts).
    void (async () => {
      for (let first = 0; first < total; first += OPENS_AT_ONCE) {
        const batch = Array.from({ length: Math.min(OPENS_AT_ONCE, total - first) }, (_, k) => first + k);
        await Promise.all(
          batch.map((n) =>
            s.open(benchStream(n % CONDUITS, Math.floor(n / CONDUITS))).then(
              () => void opened++,
              () => void refused++,
            ),
          ),
        );
      }
    })();
    const samples: number[] = [];
    for (let at = 10_000; at <= afterMs; at += 10_000) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + at - performance.now())));
      samples.push(await s.enabled(0));
    }
    const enabled = samples.at(-1) ?? 0;
    const cpu = s.cpuSeconds();
    const wall = (performance.now() - t0) / 1_000;
    const share = (used: number, before: number): number => Number(((used - before) / wall).toFixed(2));
    return {
      name: `sidecar.enabled_fraction.streams_${total}.fast_refresh`,
      value: Number((enabled / total).toFixed(3)),
      unit: 'ratio',
      note: `${total} streams opened at once, MERIDIO_NSP_ENTRY_TIMEOUT=${refresh}, ENABLED in the embedded NSP after ${afterMs / 1_000} s (goal >= 0.95)`,
      enabled_every_10s: samples,
      // CPU seconds per second of the run: near 1, that process was the limit (one core each).
      sidecar_cpu: share(cpu.sidecar, cpu0.sidecar),
      nsp_cpu: share(cpu.world, cpu0.world),
      opened,
      refused,
    };
  } finally {
    await s.stop();
  }
}
