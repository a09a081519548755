// Checks that src/wire is exactly what `buf generate` produces from proto/
// with the committed buf.yaml / buf.gen.yaml, i.e. nobody hand-edited the
// generated code and nobody forgot to run `npm run proto`.
//
// Generation goes to a fresh temporary directory (`buf generate -o TMP`
// prefixes every `out` of buf.gen.yaml with TMP), so the working tree is left
// untouched.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binDir = path.join(repoRoot, 'node_modules', '.bin');
const wireDir = path.join(repoRoot, 'src', 'wire');

/** Relative paths (with '/' separators) of all regular files under dir, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(childRel);
      } else {
        out.push(childRel);
      }
    }
  };
  walk('');
  return out.sort();
}

/** mtime and size of every file under dir, to prove the tree was not touched. */
function snapshot(dir: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const rel of listFiles(dir)) {
    const st = fs.statSync(path.join(dir, rel));
    result.set(rel, `${st.mtimeMs}:${st.size}`);
  }
  return result;
}

describe('proto code generation', function () {
  let tmp: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapa-buf-gen-'));
  });

  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('src/wire is byte-for-byte what buf generate produces', function () {
    const before = snapshot(wireDir);

    const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env['PATH'] ?? ''}` };
    const buf = path.join(binDir, process.platform === 'win32' ? 'buf.cmd' : 'buf');
    execFileSync(buf, ['generate', '-o', tmp], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });

    const genDir = path.join(tmp, 'src', 'wire');
    const generated = listFiles(genDir);
    const committed = listFiles(wireDir);
    expect(generated.length, 'buf generate produced no files').to.be.greaterThan(0);

    const missing = generated.filter((f) => !committed.includes(f));
    const extra = committed.filter((f) => !generated.includes(f));
    expect(missing, 'generated but missing from src/wire (run `npm run proto`)').to.deep.equal([]);
    expect(extra, 'in src/wire but not generated (stale or hand-written)').to.deep.equal([]);

    for (const rel of generated) {
      const want = fs.readFileSync(path.join(genDir, rel));
      const have = fs.readFileSync(path.join(wireDir, rel));
      if (!want.equals(have)) {
        expect.fail(`src/wire/${rel} differs from buf generate output (run \`npm run proto\`)`);
      }
    }

    expect(snapshot(wireDir), 'the working tree must not be modified').to.deep.equal(before);
  });
});
