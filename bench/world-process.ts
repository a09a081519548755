import * as grpc from '@grpc/grpc-js';
import { startEmbedded } from '../src/embedded/embedded.js';
import { TapService } from '../src/wire/ambassador/v1/tap.js';
import { BENCH_TRENCH, benchConduits, epochNow, type EnabledQuery, type ToWorld, type WorldMessage } from './world.js';

/**
 * The embedded NSP and NSM of the sidecar figures, in a process of their own so that
 * neither their CPU nor their memory counts as the sidecar's. Forked with an IPC channel:
 * argv is the NSM socket path, the conduit count and the streams per conduit; it answers
 * EnabledQuery messages and stops when the parent goes. The fourth argument is the unix
 * socket of a bare grpc-js server answering Tap.Open at once: the baseline a Tap.Open
 * through the sidecar is compared with, over the same kind of socket, in the same run.
 */
const [nsmSocket, conduits, streams, bareSocket] = process.argv.slice(2);
const bare = new grpc.Server();
bare.addService({ open: TapService.open }, { open: (_call: unknown, done: grpc.sendUnaryData<object>) => done(null, {}) });
await new Promise<void>((resolve, reject) =>
  bare.bindAsync(`unix://${bareSocket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
);
const world = await startEmbedded({
  nsmSocket: nsmSocket!,
  trench: BENCH_TRENCH,
  conduits: benchConduits(Number(conduits), Number(streams)),
});
const send = (m: WorldMessage): void => void process.send?.(m);

const waiting = new Map<number, EnabledQuery>();
/** Answers of held queries, until collected; a collect that comes first waits here as `undefined`. */
const held = new Map<number, WorldMessage | undefined>();
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
    const message: WorldMessage = { answered: id, enabled, at: epochNow() };
    if (!q.hold || held.has(id)) {
      held.delete(id);
      send(message);
    } else held.set(id, message);
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
process.on('message', (m: ToWorld) => {
  if ('collect' in m) {
    const message = held.get(m.collect);
    if (message) {
      held.delete(m.collect);
      send(message);
    } else held.set(m.collect, undefined);
    return;
  }
  waiting.set(m.id, m);
  answer();
});
process.on('disconnect', () => {
  bare.forceShutdown();
  void world.stop().then(() => process.exit(0));
});
send({ ready: { nspAddress: world.nspAddress, nsmAddress: world.nsmAddress } });
