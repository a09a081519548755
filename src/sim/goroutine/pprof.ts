/**
 * The text form of `go tool pprof`'s `traces` command on a goroutine profile, as pasted
 * in Meridio #578: groups of identical stacks, each introduced by a dash line, its count
 * right-aligned in 10 columns, three spaces and the innermost frame, then the other
 * frames indented by 13 spaces, innermost first; a dash line after the last group.
 */

/** Goroutines sharing one stack. */
export interface TraceGroup {
  readonly count: number;
  /** Innermost first. */
  readonly frames: readonly string[];
}

export const TRACES_SEPARATOR = '-----------+-------------------------------------------------------';

const COUNT_WIDTH = 10;
const INDENT = ' '.repeat(COUNT_WIDTH + 3);

/** Groups in the given order, each after a dash line, and a final dash line; ends with a newline. */
export function formatTraces(groups: readonly TraceGroup[]): string {
  const lines: string[] = [];
  for (const { count, frames } of groups) {
    lines.push(TRACES_SEPARATOR);
    const [first = '', ...rest] = frames;
    lines.push(`${String(count).padStart(COUNT_WIDTH)}   ${first}`);
    for (const f of rest) lines.push(`${INDENT}${f}`);
  }
  lines.push(TRACES_SEPARATOR);
  return `${lines.join('\n')}\n`;
}

/** Counts identical stacks; sorts by count descending, then by stack text (code-unit order). */
export function groupStacks(stacks: readonly (readonly string[])[]): TraceGroup[] {
  const counts = new Map<string, { count: number; frames: readonly string[] }>();
  for (const frames of stacks) {
    const key = frames.join('\n');
    const g = counts.get(key);
    if (g === undefined) counts.set(key, { count: 1, frames });
    else g.count++;
  }
  return [...counts.entries()]
    .sort(([ka, a], [kb, b]) => b.count - a.count || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, g]) => ({ count: g.count, frames: g.frames }));
}

const SEPARATOR = /^-+\+-+$/;
const COUNT_LINE = /^\s*(\d+)\s+(\S.*)$/;
const FRAME_LINE = /^\s+(\S.*)$/;

/**
 * Parses every group between two dash lines; text before the first and after the last
 * dash line (pprof's header, the `(pprof)` prompt, the rest of an issue page) is
 * ignored. A malformed line inside a group is an error naming its line number, since
 * skipping it would silently change a signature.
 */
export function parseTraces(text: string): TraceGroup[] {
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd());
  const separators: number[] = [];
  lines.forEach((l, i) => {
    if (SEPARATOR.test(l)) separators.push(i);
  });
  const groups: TraceGroup[] = [];
  for (let s = 0; s + 1 < separators.length; s++) {
    const from = separators[s]! + 1;
    const to = separators[s + 1]!;
    const head = COUNT_LINE.exec(lines[from] ?? '');
    if (from >= to || head === null) throw new SyntaxError(`traces line ${from + 1}: expected "<count>   <frame>"`);
    const frames = [head[2]!];
    for (let i = from + 1; i < to; i++) {
      const m = FRAME_LINE.exec(lines[i]!);
      if (m === null) throw new SyntaxError(`traces line ${i + 1}: expected an indented frame, got ${JSON.stringify(lines[i])}`);
      frames.push(m[1]!);
    }
    groups.push({ count: Number(head[1]), frames });
  }
  return groups;
}

/**
 * A frame as a model names it: the import path shortened to the package name, as Go
 * source code spells a call, and without the ` (inline)` mark. So
 * `github.com/nordix/meridio/pkg/ambassador/tap/stream.(*Stream).Close` becomes
 * `stream.(*Stream).Close` and `.../pkg/ambassador/tap.(*Tap).Close.func1` becomes
 * `tap.(*Tap).Close.func1`. (Stripping only `github.com/nordix/meridio/pkg/ambassador/`
 * would leave `tap/stream.(*Stream).Close`, which no model frame is called.) Only the
 * part before the first `(` or `[` is searched for a `/`, so receivers and type
 * arguments are left alone.
 */
export function normalizeFrame(frame: string): string {
  const bare = frame.replace(/ \(inline\)$/, '');
  const end = bare.search(/[([]/);
  const slash = bare.lastIndexOf('/', end < 0 ? bare.length : end);
  return slash < 0 ? bare : bare.slice(slash + 1);
}

/** Frames a goroutine parked on a lock or a WaitGroup shows; `(inline)` is stripped before matching. */
const SYNC_WAITS: ReadonlySet<string> = new Set([
  'sync.(*Mutex).Lock',
  'sync.(*Mutex).lockSlow',
  'sync.(*RWMutex).Lock',
  'sync.(*RWMutex).RLock',
  'sync.(*WaitGroup).Wait',
]);

/**
 * The goroutines blocked in sync, as a multiset keyed by the frame that called the sync
 * function (the first frame after `sync.(*Mutex).Lock` or `sync.(*WaitGroup).Wait`),
 * normalised by `normalizeFrame`; in key order. Two dumps with the same signature have
 * the same goroutines stuck in the same functions, which is how a model's dump is
 * compared with the one in a bug report.
 */
export function blockedSignature(groups: readonly TraceGroup[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { count, frames } of groups) {
    const isWait = (f: string | undefined): boolean => f !== undefined && SYNC_WAITS.has(f.replace(/ \(inline\)$/, ''));
    let at = frames.findIndex((f) => isWait(f));
    // A mutex wait shows `lockSlow` then `Lock` (when not inlined away): the caller is past both.
    while (at >= 0 && isWait(frames[at + 1])) at++;
    const caller = at < 0 ? undefined : frames[at + 1];
    if (caller === undefined) continue;
    const key = normalizeFrame(caller);
    counts.set(key, (counts.get(key) ?? 0) + count);
  }
  return new Map([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const GOROUTINE_HEADER = /^goroutine \d+(?: [^[]*)? \[[^\]]*\]:$/;
const FILE_LINE = /^\s+\S.*:\d+(?: \+0x[0-9a-f]+)?$/;

/** `pkg.(*T).F(0xc000..., {...})` -> `pkg.(*T).F`: the argument list at the end of a debug=2 function line. */
export function stripArguments(line: string): string {
  const text = line.trim();
  if (!text.endsWith(')')) return text;
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const ch = text[i];
    if (ch === ')') depth++;
    else if (ch === '(') {
      depth--;
      if (depth === 0) return i === 0 ? text : text.slice(0, i);
    }
  }
  return text;
}

/**
 * Go's `debug=2` goroutine dump (`/debug/pprof/goroutine?debug=2`, or a panic's dump):
 * one block per goroutine, `goroutine N [state]:`, then a function line (with its
 * argument list) and an indented `file.go:123 +0x45` line per frame, innermost first;
 * `created by ...` and `...additional frames elided...` are not frames. Stacks are
 * grouped as in the traces form, with the argument lists stripped so that the frames
 * read the same.
 */
export function parseDebug2(text: string): TraceGroup[] {
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd());
  const stacks: string[][] = [];
  let current: string[] | undefined;
  let skipFile = false;
  lines.forEach((line, i) => {
    if (GOROUTINE_HEADER.test(line)) {
      current = [];
      stacks.push(current);
      skipFile = false;
      return;
    }
    if (current === undefined) return;
    if (line === '') {
      current = undefined;
      return;
    }
    if (FILE_LINE.test(line)) {
      skipFile = false;
      return;
    }
    if (skipFile) throw new SyntaxError(`debug=2 line ${i + 1}: expected a "\\t/path/file.go:123" line, got ${JSON.stringify(line)}`);
    if (line.startsWith('created by ') || line.startsWith('...')) {
      skipFile = line.startsWith('created by ');
      return;
    }
    if (/^\s/.test(line)) throw new SyntaxError(`debug=2 line ${i + 1}: expected a function line, got ${JSON.stringify(line)}`);
    current.push(stripArguments(line));
    skipFile = true;
  });
  return groupStacks(stacks.filter((s) => s.length > 0));
}

/**
 * A goroutine profile as pasted in a bug report: either `go tool pprof -traces` output
 * or a `debug=2` dump, whichever the text holds. Throws an Error when it holds neither
 * (no goroutines found), and a SyntaxError naming the line of a malformed group.
 */
export function parseProfile(text: string): TraceGroup[] {
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd());
  let groups: TraceGroup[] = [];
  if (lines.some((l) => SEPARATOR.test(l))) groups = parseTraces(text);
  else if (lines.some((l) => GOROUTINE_HEADER.test(l))) groups = parseDebug2(text);
  if (groups.length === 0) {
    throw new Error(
      'no goroutines found: expected the output of `go tool pprof -traces` or a debug=2 goroutine dump (goroutine N [state]: ...)',
    );
  }
  return groups;
}
