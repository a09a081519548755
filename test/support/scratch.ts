import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/**
 * A new directory under the system's temporary one, removed once the test file is done
 * (mochaHooks below, loaded by .mocharc.json): a test suite that runs in CI many times a
 * day must not leave thousands of directories behind.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Mocha's root hooks: in parallel mode `afterAll` runs after each file, in that file's worker. */
export const mochaHooks = {
  afterAll(): void {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  },
};
