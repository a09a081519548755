import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
const instructions = dockerfile.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Packages a compiled file loads when it runs: imports that are not type-only, by package name. */
function runtimePackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^'.][^']*)'|^import\s+'([^'.][^']*)'|import\('([^'.][^']*)'\)/gm)];
  return found
    .map((m) => m[1] ?? m[2] ?? m[3] ?? '')
    .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('the container image (deploy/Dockerfile)', () => {
  it('is multi-stage from node:20-slim and runs as a non-root user', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).to.be.at.least(2);
    expect(froms.every((l) => /^FROM node:20-slim\b/.test(l))).to.equal(true);
    const user = instructions.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).to.match(/^USER [1-9][0-9]*(:[1-9][0-9]*)?$/);
  });

  it('ships only production dependencies, installed without scripts', () => {
    expect(dockerfile).to.match(/npm ci --omit=dev --ignore-scripts/);
    expect(dockerfile).to.match(/COPY --from=runtime-deps \/app\/node_modules/);
  });

  it('starts `tapa serve`', () => {
    expect(instructions).to.include('ENTRYPOINT ["node", "/app/dist/grpc/main.js"]');
    expect(instructions.at(-1)).to.equal('CMD ["serve"]');
  });

  it('copies only files that exist in the repository', () => {
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      for (const source of line.split(/\s+/).slice(1, -1)) expect(existsSync(join(ROOT, source)), `${line}: ${source}`).to.equal(true);
    }
  });

  it('everything the built sidecar and simulator load at run time is a production dependency', () => {
    const missing = new Set<string>();
    for (const file of sources(join(ROOT, 'src'))) {
      for (const name of runtimePackages(file)) if (!(name in pkg.dependencies)) missing.add(`${name} (${file.slice(ROOT.length)})`);
    }
    expect([...missing]).to.deep.equal([]);
  });
});
