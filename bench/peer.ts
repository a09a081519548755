import fc from 'fast-check';

/**
 * The #578 cycle as a TypeScript user would write it without this project: async
 * functions, a promise-based mutex, and fast-check's `fc.scheduler()` choosing the order
 * in which awaited promises resolve. It cannot see a wait-for cycle; a deadlock shows
 * only as work that never finished once nothing is left to schedule.
 */
class PromiseMutex {
  private locked = false;
  private readonly waiters: (() => void)[] = [];

  async lock(): Promise<void> {
    while (this.locked) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.locked = true;
  }

  unlock(): void {
    this.locked = false;
    this.waiters.shift()?.();
  }
}

async function scenario(s: fc.Scheduler): Promise<boolean> {
  const conduit = new PromiseMutex();
  const stream = new PromiseMutex();
  const step = (label: string): Promise<void> => s.schedule(Promise.resolve(), label);
  let finished = 0;
  const open = async (): Promise<void> => {
    await step('open: start');
    await stream.lock();
    await step('open: has stream.mu');
    await conduit.lock(); // Conduit.GetIPs
    conduit.unlock();
    stream.unlock();
    finished++;
  };
  const close = async (): Promise<void> => {
    await step('closer: start');
    await stream.lock(); // Stream.Close
    stream.unlock();
  };
  const monitor = async (): Promise<void> => {
    await step('monitor: start');
    await conduit.lock();
    await step('monitor: has conduit.mu');
    await close(); // streamManager.Stop waits for the closer while holding conduit.mu
    conduit.unlock();
    finished++;
  };
  void open();
  void monitor();
  await s.waitAll();
  return finished === 2;
}

/** Milliseconds until fast-check finds a deadlocking order, for one seed. */
export async function fcSchedulerTimeToFind(seed: number): Promise<{ ms: number; found: boolean }> {
  const t0 = process.hrtime.bigint();
  const r = await fc.check(fc.asyncProperty(fc.scheduler(), scenario), { seed, numRuns: 10_000, endOnFailure: true });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, found: r.failed };
}
