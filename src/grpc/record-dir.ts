import { lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Recording } from '../runner/recording.js';

/** Recordings kept in MERIDIO_RECORD_DIR: a sidecar that keeps breaking must not fill the disk. */
export const KEPT_RECORDINGS = 8;

/** Only files of this form are ours to remove; the time first, so that names sort oldest first. */
const OURS = /^tapa-recording-\d{8}T\d{9}Z-\d+-[a-z-]+\.json$/;

/**
 * Writes a recording into the directory (synchronously: it may be the last thing a
 * crashing process does), then removes our oldest recordings beyond the bound. Returns
 * the file written.
 *
 * The directory may be shared with the application's containers. A new file is created or
 * nothing is written (never through a symlink or over a file someone placed at the name),
 * readable by us alone (the state names the pod's streams and addresses); and only regular
 * files with our name and our owner are ever removed.
 */
export function writeRecording(dir: string, recording: Recording, now: Date, pid: number): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const file = join(dir, `tapa-recording-${stamp}-${pid}-${recording.why.replace(/[^a-z]+/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(recording), { flag: 'wx', mode: 0o600 });
  const ours = readdirSync(dir)
    .filter((name) => OURS.test(name) && ownFile(join(dir, name)))
    .sort();
  for (const old of ours.slice(0, Math.max(0, ours.length - KEPT_RECORDINGS))) rmSync(join(dir, old), { force: true });
  return file;
}

function ownFile(path: string): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isFile() && stat.uid === process.getuid?.();
  } catch {
    return false; // gone meanwhile
  }
}
