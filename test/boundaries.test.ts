import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

// Which rooms of src/ may import which (README, "Layout"). The two shells never import
// each other: src/grpc (the production sidecar) and src/sim (the simulator) meet only in
// src/cli, the command line, and through src/embedded, the world models served over gRPC.
// The core is pure and the runner sits between the core and either transport.

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Import {
  /** The importing file, relative to the repository (`src/grpc/sidecar.ts`). */
  readonly file: string;
  /** 1-based line of the specifier. */
  readonly line: number;
  /** As written: `'../core/index.js'`, `'@grpc/grpc-js'`. */
  readonly specifier: string;
  /** The imported file relative to the repository (`src/core/index.ts`); undefined for a package. */
  readonly target: string | undefined;
  /** `import type`, `export type`, or every name marked `type`: nothing is loaded at run time. */
  readonly typeOnly: boolean;
}

/**
 * `import ... from '...'`, `export ... from '...'` (multi-line ones too), `import '...'` and
 * `import('...')`. Group 1: what is imported (undefined for `import '...'` and `import(...)`),
 * group 2 the specifier.
 */
const IMPORT =
  /\b(?:import|export)\s+((?:type\s+)?(?:[\w$*]+(?:\s+as\s+[\w$]+)?\s*,?\s*)?(?:\{[^}]*\})?)\s*from\s*['"]([^'"]+)['"]|\bimport\s*(?:\(\s*)?['"]([^'"]+)['"]/g;

function typeOnly(clause: string | undefined): boolean {
  if (clause === undefined) return false;
  if (/^type\s/.test(clause)) return true;
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  if (!braces) return false;
  const names = braces[1]!
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return names.length > 0 && names.every((n) => /^type\s/.test(n));
}

/** The imports of one source file; `file` is relative to the repository. */
export function importsOf(file: string, text: string): Import[] {
  return [...text.matchAll(IMPORT)].map((m) => {
    const specifier = m[2] ?? m[3]!;
    const target = specifier.startsWith('.')
      ? posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts')
      : undefined;
    return { file, line: text.slice(0, m.index + m[0].length).split('\n').length, specifier, target, typeOnly: typeOnly(m[1]) };
  });
}

function sources(dir: string): string[] {
  return readdirSync(posix.join(ROOT, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(posix.join(dir, e.name)) : e.name.endsWith('.ts') ? [posix.join(dir, e.name)] : []))
    .sort();
}

const within = (path: string | undefined, room: string): boolean => path !== undefined && path.startsWith(`${room}/`);

interface Rule {
  /** The room whose files the rule is about. */
  readonly room: string;
  readonly says: string;
  /** Whether an import of this room is allowed (only imports of files of the repository are judged). */
  readonly allows: (i: Import) => boolean;
}

export const RULES: readonly Rule[] = [
  {
    room: 'src/grpc',
    says: 'the production shell imports neither the simulator, the embedded world nor the command line',
    allows: (i) => !['src/sim', 'src/embedded', 'src/cli'].some((r) => within(i.target, r)),
  },
  {
    room: 'src/sim',
    says: 'the simulator imports neither the production shell, the embedded world nor the command line',
    allows: (i) => !['src/grpc', 'src/embedded', 'src/cli'].some((r) => within(i.target, r)),
  },
  {
    room: 'src/core',
    says: 'the core imports only the core, and wire types',
    allows: (i) => within(i.target, 'src/core') || (within(i.target, 'src/wire') && i.typeOnly),
  },
  {
    room: 'src/runner',
    says: 'the runner imports only the core, the runner and wire code',
    allows: (i) => ['src/core', 'src/runner', 'src/wire'].some((r) => within(i.target, r)),
  },
  {
    room: 'src/embedded',
    says: "the embedded world imports only itself, the simulator's world models, wire code, the core, SPIFFE parsing and the gRPC server options",
    allows: (i) =>
      ['src/embedded', 'src/sim/world', 'src/wire', 'src/core', 'src/grpc/spiffe'].some((r) => within(i.target, r)) ||
      i.target === 'src/grpc/server-options.ts',
  },
];

/** One line per import that breaks a rule: the file, the line, the import and the rule. */
export function violations(imports: readonly Import[], rules: readonly Rule[] = RULES): string[] {
  return imports.flatMap((i) =>
    rules
      .filter((r) => within(i.file, r.room) && i.target !== undefined && !r.allows(i))
      .map((r) => `${i.file}:${i.line} imports '${i.specifier}' (${i.target}): ${r.says}`),
  );
}

/**
 * The acceptance text, literally: `grep -rn "<word>" <dir>` finds no import line. An import
 * line is a line that holds an import's specifier (the last line of a multi-line import).
 */
export function grepImportLines(files: ReadonlyMap<string, string>, dir: string, word: string): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    if (!within(file, dir)) continue;
    const lines = text.split('\n');
    for (const i of importsOf(file, text)) {
      const line = lines[i.line - 1]!;
      if (line.includes(word)) out.push(`${file}:${i.line}:${line.trim()}`);
    }
  }
  return out;
}

describe('boundaries between the rooms of src/', () => {
  const files = new Map(sources('src').map((f) => [f, readFileSync(posix.join(ROOT, f), 'utf8')]));
  const imports = [...files].flatMap(([file, text]) => importsOf(file, text));

  it('reads every import of src/: multi-line, type-only, re-exports, side effects and dynamic ones', () => {
    expect(files.size).to.be.greaterThan(100);
    const of = (file: string): Import[] => imports.filter((i) => i.file === file);
    expect(of('src/cli/tapa-program.ts').map((i) => i.target)).to.include.members([
      'src/embedded/embedded.ts',
      'src/grpc/sidecar.ts',
      'src/command.ts',
    ]);
    expect(of('src/core/wire.ts').every((i) => i.typeOnly && within(i.target, 'src/wire'))).to.equal(true);
    expect(of('src/core/wire.ts').map((i) => i.target)).to.include('src/wire/networkservice/connection.ts');
    expect(of('src/core/prefix.ts').find((i) => i.specifier === 'ipaddr.js')).to.include({ target: undefined, typeOnly: false });

    const text = [
      "import a, { b } from './a.js';",
      "import type { C } from '../c.js';",
      'import {',
      '  type D,',
      '  type E,',
      "} from './d.js';",
      "import { type F, g } from './f.js';",
      "export * from './h.js';",
      "export type { I } from './i.js';",
      "import './j.js';",
      "const k = await import('../k.js');",
      "import * as l from 'node:fs';",
    ].join('\n');
    expect(importsOf('src/x/y.ts', text).map((i) => [i.line, i.target ?? i.specifier, i.typeOnly])).to.deep.equal([
      [1, 'src/x/a.ts', false],
      [2, 'src/c.ts', true],
      [6, 'src/x/d.ts', true],
      [7, 'src/x/f.ts', false],
      [8, 'src/x/h.ts', false],
      [9, 'src/x/i.ts', true],
      [10, 'src/x/j.ts', false],
      [11, 'src/k.ts', false],
      [12, 'node:fs', false],
    ]);
  });

  it('names the file, the line and the import that break a rule', () => {
    const bad = importsOf('src/grpc/sidecar.ts', "import { x } from '../core/index.js';\nconst w = await import('../sim/world/nsp.js');\n");
    expect(violations(bad)).to.deep.equal([
      "src/grpc/sidecar.ts:2 imports '../sim/world/nsp.js' (src/sim/world/nsp.ts): the production shell imports neither the simulator, the embedded world nor the command line",
    ]);
    expect(violations(importsOf('src/core/step.ts', "import { Tap } from '../wire/ambassador/v1/tap.js';"))).to.have.length(1);
    expect(violations(importsOf('src/core/step.ts', "import type { Tap } from '../wire/ambassador/v1/tap.js';"))).to.deep.equal([]);
    expect(violations(importsOf('src/runner/runner.ts', "import { hunt } from '../sim/explore/hunt.js';"))).to.have.length(1);
    expect(violations(importsOf('src/sim/world/nsm.ts', "import { x } from '../../embedded/nsm.js';"))).to.have.length(1);
  });

  for (const rule of RULES) {
    it(`${rule.room}: ${rule.says}`, () => {
      expect(
        imports.some((i) => within(i.file, rule.room)),
        `no file in ${rule.room}`,
      ).to.equal(true);
      const found = violations(imports, [rule]);
      expect(found, `\n${found.join('\n')}\n`).to.deep.equal([]);
    });
  }

  it('grep -rn "sim/" src/grpc and grep -rn "grpc/" src/sim find no import line', () => {
    const found = [...grepImportLines(files, 'src/grpc', 'sim/'), ...grepImportLines(files, 'src/sim', 'grpc/')];
    expect(found, `\n${found.join('\n')}\n`).to.deep.equal([]);
  });
});
