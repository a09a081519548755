import { writeSync } from 'node:fs';
import { Session } from 'node:inspector';
import { workerData } from 'node:worker_threads';
import { LOOP_STUCK } from '../runner/recorder.js';
import type { WatchdogData } from './watchdog.js';

/**
 * The watchdog's thread. The main thread bumps a shared counter while its event loop
 * turns; when the counter stands still for `stuckMs`, this thread interrupts the main
 * thread through the in-process inspector (no listener: a session from a worker to its
 * own process), has it emit LOOP_STUCK where it is stuck, so that the sidecar writes
 * its flight recording then and there, and lets it go on. Nothing on the main thread's
 * event loop could do that: it is the loop that is stuck.
 */
const { beat, stuckMs } = workerData as WatchdogData;
const tick = Math.max(10, Math.floor(stuckMs / 4));
let seen = Atomics.load(beat, 0);
let since = Date.now();
let reported = false;

setInterval(() => {
  const now = Atomics.load(beat, 0);
  if (now !== seen) {
    seen = now;
    since = Date.now();
    reported = false;
    return;
  }
  const stuckFor = Date.now() - since;
  if (reported || stuckFor < stuckMs) return;
  reported = true; // once per stuck spell: the loop must turn again before the next
  interrupt(stuckFor);
}, tick);

function interrupt(stuckFor: number): void {
  const session = new Session();
  try {
    session.connectToMainThread();
  } catch (err) {
    say(`the event loop is stuck for ${stuckFor} ms and the inspector cannot reach it: ${(err as Error).message}`);
    return;
  }
  const done = (): void => session.post('Debugger.resume', () => session.post('Debugger.disable', () => session.disconnect()));
  session.once('Debugger.paused', (message) => {
    const frame = message.params.callFrames[0]?.callFrameId;
    if (frame === undefined) return done();
    const expression = `process.emit(${JSON.stringify(LOOP_STUCK)}, ${stuckFor})`;
    session.post('Debugger.evaluateOnCallFrame', { callFrameId: frame, expression, silent: true }, done);
  });
  session.post('Debugger.enable', () => session.post('Debugger.pause'));
}

/** Straight to stderr: the main thread, which would carry a worker's console, is the one stuck. */
function say(message: string): void {
  writeSync(2, `${JSON.stringify({ severity: 'error', message: `watchdog: ${message}` })}\n`);
}
