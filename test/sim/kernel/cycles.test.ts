import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The files of the scheduler kernel and of the goroutine runtime import each other in
// one direction only: a file never depends, even for a type, on a file that depends on
// it. Each concept's file is below the files that use it (strategy.ts below the
// strategies, below strategy-spec.ts; park.ts below goroutine.ts, below the primitives,
// below op.ts, below waitfor.ts and runtime.ts).

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FOLDERS = ['src/sim/kernel', 'src/sim/goroutine'];

/** `import ... from './x.js'`, `export ... from '../x.js'`, `import './x.js'`, `import('./x.js')`. */
const RELATIVE_IMPORT = /\b(?:import|export)\b[^;'"]*?(?:\bfrom\s*|\(\s*|\s)['"](\.{1,2}\/[^'"]+)\.js['"]/g;

type Graph = ReadonlyMap<string, readonly string[]>;

/** Every .ts file of the folders, with the files of the folders it imports (paths relative to the repository). */
function importGraph(folders: readonly string[]): Graph {
  const graph = new Map<string, string[]>();
  for (const folder of folders) {
    for (const name of readdirSync(join(ROOT, folder))
      .filter((f) => f.endsWith('.ts'))
      .sort()) {
      const file = join(ROOT, folder, name);
      const imports = [...readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)].map((m) =>
        relative(ROOT, resolve(dirname(file), `${m[1]!}.ts`)),
      );
      graph.set(relative(ROOT, file), imports);
    }
  }
  for (const [file, imports] of graph)
    graph.set(
      file,
      imports.filter((f) => graph.has(f)),
    );
  return graph;
}

/** One import cycle, as the files around it (the first repeated at the end), or undefined. */
function findCycle(graph: Graph): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    const at = path.indexOf(file);
    if (at >= 0) return [...path.slice(at), file];
    if (done.has(file)) return undefined;
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(file);
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('sim/kernel and sim/goroutine imports', () => {
  const graph = importGraph(FOLDERS);

  it('reads the imports of every file, type-only and multi-line ones included', () => {
    expect(graph.get('src/sim/kernel/strategy-spec.ts')).to.include.members(['src/sim/kernel/pct.ts', 'src/sim/kernel/strategy.ts']);
    expect(graph.get('src/sim/kernel/pct.ts')).to.include('src/sim/kernel/strategy.ts');
    expect(graph.get('src/sim/goroutine/runtime.ts')).to.include.members([
      'src/sim/kernel/scheduler.ts',
      'src/sim/goroutine/mutex.ts',
      'src/sim/goroutine/op.ts',
    ]);
    expect(graph.get('src/sim/goroutine/index.ts')).to.include.members(['src/sim/goroutine/chan.ts', 'src/sim/goroutine/pprof.ts']);
  });

  it('finds a cycle when there is one', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', []],
      ['d.ts', ['b.ts']],
    ]);
    expect(findCycle(g)).to.deep.equal(['b.ts', 'd.ts', 'b.ts']);
    expect(
      findCycle(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).to.equal(undefined);
  });

  it('has no import cycle among the files of src/sim/kernel and src/sim/goroutine', () => {
    const cycle = findCycle(graph);
    expect(cycle, cycle && `import cycle: ${cycle.join(' -> ')}`).to.equal(undefined);
  });
});
