import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIDECAR_NODE_FLAGS } from '../src/grpc/node-flags.js';
import { scratchDir } from './support/scratch.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, '')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Packages a compiled file loads when it runs: imports that are not type-only, by package name. */
function runtimePackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^'.][^']*)'|^import\s+'([^'.][^']*)'|import\('([^'.][^']*)'\)/gm),
  ];
  return found
    .map((m) => m[1] ?? m[2] ?? m[3] ?? '')
    .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('the container image (deploy/Dockerfile)', () => {
  it('is multi-stage, runs from node:20-slim as a non-root user, and compiles only in the build stage', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).to.be.at.least(2);
    expect(froms[0]).to.match(/^FROM node:20 AS build$/);
    expect(froms.slice(1).every((l) => /^FROM node:20-slim\b/.test(l))).to.equal(true);
    const user = instructions.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).to.match(/^USER [1-9][0-9]*(:[1-9][0-9]*)?$/);
  });

  it('ships only production dependencies, installed without scripts', () => {
    expect(dockerfile).to.match(/npm ci --omit=dev --ignore-scripts/);
    expect(dockerfile).to.match(/COPY --from=runtime-deps \/app\/node_modules/);
  });

  it('starts `tapa serve` with the Node flags of src/grpc/node-flags.ts, as `npm run tapa` and the installed `tapa` command do', () => {
    const entrypoint = ['node', ...SIDECAR_NODE_FLAGS, '/app/dist/cli/tapa.js'].map((a) => JSON.stringify(a)).join(', ');
    expect(instructions).to.include(`ENTRYPOINT [${entrypoint}]`);
    expect(instructions.at(-1)).to.equal('CMD ["serve"]');
    expect(pkg.scripts.tapa).to.equal(['node', ...SIDECAR_NODE_FLAGS, 'dist/cli/tapa.js'].join(' '));
    // npm links `bin` entries to the file itself: its `#!` line is the only place for the flags.
    expect(pkg.bin.tapa).to.equal('dist/cli/tapa.js');
    const shebang = readFileSync(join(ROOT, 'src/cli/tapa.ts'), 'utf8').split('\n')[0];
    expect(shebang).to.equal(['#!/usr/bin/env -S node', ...SIDECAR_NODE_FLAGS].join(' '));
  });

  it("installs /bin/grpc_health_probe, before USER, running the built probe: the chart's exec probes work unchanged", () => {
    const install = instructions.findIndex((l) => l.startsWith('RUN ') && l.includes('> /bin/grpc_health_probe'));
    expect(install, 'no RUN writing /bin/grpc_health_probe').to.be.at.least(0);
    expect(install).to.be.below(instructions.findIndex((l) => l.startsWith('USER ')));
    // The same shell command, writing somewhere this test may write.
    const script = join(scratchDir('tapa-image-'), 'grpc_health_probe');
    execFileSync('/bin/sh', ['-c', instructions[install]!.slice('RUN '.length).replaceAll('/bin/grpc_health_probe', script)]);
    expect(readFileSync(script, 'utf8')).to.equal('#!/bin/sh\nexec node /app/dist/grpc/probe.js "$@"\n');
    expect(statSync(script).mode & 0o111).to.equal(0o111);
    expect(instructions).to.include('COPY --from=build /src/dist ./dist');
    expect(pkg.bin['tapa-health-probe']).to.equal('dist/grpc/probe.js');
    expect(existsSync(join(ROOT, 'src/grpc/probe.ts'))).to.equal(true);
  });

  it('ships every native addon where src/grpc/addon.ts loads it from dist/', () => {
    const loader = readFileSync(join(ROOT, 'src/grpc/addon.ts'), 'utf8');
    const dir = /`(\.\.\/[^`$]+\/)\$\{name\}\.node`/.exec(loader)?.[1];
    expect(dir).to.be.a('string');
    const inImage = join('/app/dist/grpc', dir!);
    const copy = instructions.find((l) => l.startsWith('COPY --from=build /src/native/'))?.split(/\s+/);
    expect(copy?.at(-1)).to.equal(`.${inImage.slice('/app'.length)}`);
    const gyp = readFileSync(join(ROOT, 'native/binding.gyp'), 'utf8');
    const targets = [...gyp.matchAll(/"target_name": "(\w+)"/g)].map((m) => m[1]);
    expect(targets).to.have.members(['unixfd', 'memory']);
    for (const target of targets) expect(copy).to.include(`/src/native/build/Release/${target}.node`);
    expect(pkg.scripts.prepare).to.match(/build:native/);
  });

  it('copies only files that exist in the repository', () => {
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      for (const source of line.split(/\s+/).slice(1, -1)) expect(existsSync(join(ROOT, source)), `${line}: ${source}`).to.equal(true);
    }
  });

  it('everything the built sidecar and simulator load at run time is a production dependency', () => {
    // Worker threads (a hunt's, the watchdog's) load tsx only when this process runs TypeScript sources, under tsx: never in dist.
    const sourcesOnly = new Set(['tsx (src/worker-thread.ts)']);
    const missing = new Set<string>();
    for (const file of sources(join(ROOT, 'src'))) {
      for (const name of runtimePackages(file)) if (!(name in pkg.dependencies)) missing.add(`${name} (${file.slice(ROOT.length)})`);
    }
    for (const allowed of sourcesOnly) {
      expect(missing.delete(allowed), `${allowed} is no longer imported: drop it from sourcesOnly`).to.equal(true);
    }
    expect([...missing]).to.deep.equal([]);
  });
});
