import { startEmbedded } from '../src/embedded/embedded.js';
import { BENCH_TRENCH, benchConduits, type EnabledQuery, type WorldMessage } from './world.js';

/**
 * The embedded NSP and NSM of the sidecar figures, in a process of their own so that
 * neither their CPU nor their memory counts as the sidecar's. Forked with an IPC channel:
 * argv is the NSM socket path, the conduit count and the streams per conduit; it answers
 * EnabledQuery messages and stops when the parent goes.
 */
const [nsmSocket, conduits, streams] = process.argv.slice(2);
const world = await startEmbedded({
  nsmSocket: nsmSocket!,
  trench: BENCH_TRENCH,
  conduits: benchConduits(Number(conduits), Number(streams)),
});
const send = (m: WorldMessage): void => void process.send?.(m);

const waiting = new Map<number, EnabledQuery>();
const enabledOf = (q: EnabledQuery): number => {
  let n = 0;
  for (const t of world.nsp.peekTargets()) {
    if (t.status !== 'ENABLED') continue;
    if (q.stream && (t.stream?.name !== q.stream.name || t.stream.conduit?.name !== q.stream.conduit?.name)) continue;
    n++;
  }
  return n;
};
const answer = (): void => {
  for (const [id, q] of waiting) {
    const enabled = enabledOf(q);
    if (enabled < q.enabled) continue;
    waiting.delete(id);
    send({ answered: id, enabled });
  }
};
// Registrations come in bursts; one count per turn of the event loop is enough.
let scheduled = false;
world.nsp.onTargetsChange(() => {
  if (scheduled || waiting.size === 0) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    answer();
  });
});
process.on('message', (q: EnabledQuery) => {
  waiting.set(q.id, q);
  answer();
});
process.on('disconnect', () => void world.stop().then(() => process.exit(0)));
send({ ready: { nspAddress: world.nspAddress, nsmAddress: world.nsmAddress } });
