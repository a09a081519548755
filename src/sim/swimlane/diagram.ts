import type { Details } from './detail.js';
import type { LaneGroup } from './lane.js';
import type { MarkKind } from './mark.js';
import { clip, escapeHtml as esc, virtualTime } from './text.js';
import type { Hold, Mark, Timeline, Wait } from './timeline.js';

/** Height of one step's row. */
const ROW = 15;
/** Left column: virtual time and step numbers. */
export const GUTTER = 84;
const TOP = 8;
const BOTTOM = 48;
/** Room between the verdict's step and its band, for that step's wait label. */
const BAND_GAP = 8;
/** Lock bars are left of a lane's lifeline, step labels right of it. */
const LIFELINE = 44;
const BAR = 6;
/** Monospace at 10px: how many characters fit in a width. */
const CHAR_PX = 6.1;

export const MARK_COLOUR: Readonly<Record<MarkKind, string>> = {
  'tap-call': '#2563eb',
  configuration: '#0d9488',
  'nsm-event': '#7c3aed',
  monitor: '#7c3aed',
  confirmation: '#16a34a',
  fault: '#ea580c',
  refused: '#dc2626',
  step: '#475569',
};
const EXTERNAL: ReadonlySet<MarkKind> = new Set(['tap-call', 'configuration', 'nsm-event', 'fault']);
/** No red: red is the deadlock's. */
const LOCK_COLOURS = [
  '#60a5fa',
  '#34d399',
  '#fbbf24',
  '#a78bfa',
  '#f472b6',
  '#22d3ee',
  '#a3e635',
  '#fb923c',
  '#94a3b8',
  '#c084fc',
  '#2dd4bf',
  '#facc15',
];

/** Where everything goes; a pure function of the timeline, so a page is the same for the same run. */
export class Geometry {
  readonly laneWidth: number;
  readonly width: number;
  readonly height: number;
  private readonly lefts: number[] = [];
  private readonly verdictStep: number | undefined;
  /** The band after the verdict's step that says what was found, tall enough to draw a closed cycle. */
  readonly band: number;

  constructor(readonly t: Timeline) {
    // A few lanes (the core's actors) get room for their long labels.
    this.laneWidth = t.lanes.length <= 8 ? 210 : 138;
    let left = GUTTER;
    for (const l of t.lanes) {
      this.lefts.push(left);
      left += this.widthOf(l.group);
    }
    this.verdictStep = t.verdict.step;
    this.band = t.verdict.step === undefined ? 0 : BAND_GAP + (t.waits.some((w) => w.cycle) ? 64 : 28);
    this.width = left + this.laneWidth;
    this.height = this.y(t.marks.length) + this.band + BOTTOM;
  }

  /** Left edge of a lane. */
  x(lane: number): number {
    return this.lefts[lane] ?? this.width;
  }

  /** The outside world's few steps need less room than the goroutines and actors the picture is about. */
  widthOf(group: LaneGroup): number {
    return group === 'outside' && this.t.lanes.length > 8 ? 112 : this.laneWidth;
  }

  lifeline(lane: number): number {
    return this.x(lane) + LIFELINE;
  }

  /** Top of a step's row. */
  y(seq: number): number {
    const band = this.verdictStep !== undefined && seq > this.verdictStep ? this.band : 0;
    return TOP + seq * ROW + band;
  }

  mid(seq: number): number {
    return this.y(seq) + ROW / 2;
  }

  /** Where a span that lasts to the end of the run ends. */
  get end(): number {
    return this.y(this.t.marks.length);
  }

  get verdictBand(): number | undefined {
    return this.verdictStep === undefined ? undefined : this.y(this.verdictStep) + ROW + BAND_GAP;
  }

  get labelChars(): number {
    return Math.floor((this.laneWidth * 1.8 - LIFELINE - 12) / CHAR_PX);
  }
}

/** Colour of each lock class, in the order the run first took them. */
export function lockColours(holds: readonly Hold[]): Map<string, string> {
  const colours = new Map<string, string>();
  for (const h of holds) if (!colours.has(h.lock)) colours.set(h.lock, LOCK_COLOURS[colours.size % LOCK_COLOURS.length]!);
  return colours;
}

/** The run as one SVG: rows of steps going down, one column per lane. */
export function diagram(g: Geometry, details: Details): string {
  const t = g.t;
  const out: string[] = [
    `<svg class="diagram" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" role="img" aria-label="swimlane diagram of the run">`,
  ];
  out.push(DEFS);
  out.push(...lanesBackground(g));
  out.push(...rows(g, details));
  out.push(...lifelines(g));
  const colours = lockColours(t.holds);
  out.push(...slotted(t.holds).map(({ hold, slot }) => bar(g, hold, slot, colours.get(hold.lock)!, details)));
  out.push('<g class="causes">', ...t.marks.flatMap((m) => cause(g, m)), '</g>');
  out.push(...t.waits.map((w) => wait(g, w, details)));
  out.push(...t.marks.map((m) => mark(g, m)));
  out.push(...verdict(g));
  out.push('</svg>');
  return out.join('\n');
}

const DEFS = `<defs>
<marker id="head-wait" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#d97706"/></marker>
<marker id="head-cycle" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#dc2626"/></marker>
<marker id="head-cause" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#94a3b8"/></marker>
</defs>`;

function lanesBackground(g: Geometry): string[] {
  return g.t.lanes.flatMap((l, i) => {
    const cls = l.role === 'live' ? (i % 2 === 0 ? 'lane-even' : 'lane-odd') : `lane-${l.role}`;
    return [`<rect class="${cls}" x="${g.x(i)}" y="0" width="${g.widthOf(l.group)}" height="${g.height}"/>`];
  });
}

/** A hover target per row (the whole row shows its step), external steps banded, time marked where it moves. */
function rows(g: Geometry, details: Details): string[] {
  const out: string[] = [];
  let time = -1;
  for (const m of g.t.marks) {
    const y = g.y(m.seq);
    if (EXTERNAL.has(m.kind))
      out.push(`<rect class="band band-${m.kind}" x="${GUTTER}" y="${y}" width="${g.width - GUTTER}" height="${ROW}"/>`);
    if (m.time !== time) {
      if (time >= 0) out.push(`<line class="tick" x1="0" y1="${y}" x2="${g.width}" y2="${y}"/>`);
      out.push(`<text class="time" x="6" y="${y + 11}">${esc(virtualTime(m.time))}</text>`);
      time = m.time;
    } else if (m.seq % 10 === 0) {
      // A reminder for rows far from the last change of time.
      out.push(`<text class="time time-same" x="6" y="${y + 11}">${esc(virtualTime(m.time))}</text>`);
    }
    out.push(`<text class="seq" x="${GUTTER - 8}" y="${y + 11}" text-anchor="end">${m.seq}</text>`);
    out.push(`<rect class="row" x="0" y="${y}" width="${g.width}" height="${ROW}" data-d="${details.mark(m)}"/>`);
  }
  return out;
}

function lifelines(g: Geometry): string[] {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (const m of g.t.marks) {
    if (!first.has(m.lane)) first.set(m.lane, m.seq);
    last.set(m.lane, m.seq);
  }
  return g.t.lanes.map((l, i) => {
    const from = first.get(i);
    if (from === undefined) return '';
    const to = l.role === 'live' ? g.mid(last.get(i)!) : g.end;
    return `<line class="lifeline" x1="${g.lifeline(i)}" y1="${g.mid(from)}" x2="${g.lifeline(i)}" y2="${to}"/>`;
  });
}

/** Nested holds of one lane side by side: each takes the leftmost slot free when it starts. */
function slotted(holds: readonly Hold[]): { hold: Hold; slot: number }[] {
  const busyUntil = new Map<number, (number | undefined)[]>();
  return holds.map((hold) => {
    const slots = busyUntil.get(hold.lane) ?? [];
    busyUntil.set(hold.lane, slots);
    let slot = slots.findIndex((until) => until !== undefined && until < hold.from);
    if (slot < 0) slot = slots.length;
    slots[slot] = hold.to;
    return { hold, slot };
  });
}

function bar(g: Geometry, h: Hold, slot: number, colour: string, details: Details): string {
  const x = g.x(h.lane) + 6 + slot * (BAR + 2);
  const y1 = g.mid(h.from);
  const y2 = h.to === undefined ? g.end : g.mid(h.to);
  const cls = h.cycle ? 'hold hold-cycle' : 'hold';
  return `<rect class="${cls}" x="${x}" y="${y1}" width="${BAR}" height="${Math.max(y2 - y1, 4)}" rx="1.5" fill="${colour}" data-d="${details.hold(h)}"/>`;
}

function cause(g: Geometry, m: Mark): string[] {
  if (m.cause === undefined) return [];
  const from = g.t.marks[m.cause];
  if (from === undefined || from.lane === m.lane) return [];
  const x1 = g.lifeline(from.lane);
  const x2 = g.lifeline(m.lane) + (x1 < g.lifeline(m.lane) ? -6 : 6);
  return [`<line class="cause" x1="${x1}" y1="${g.mid(from.seq)}" x2="${x2}" y2="${g.mid(m.seq)}" marker-end="url(#head-cause)"/>`];
}

/** The park as a dashed span on the waiter's lifeline, and an arrow to every goroutine it waits for. */
function wait(g: Geometry, w: Wait, details: Details): string {
  const x = g.lifeline(w.lane);
  const y = g.mid(w.from) + 4;
  const y2 = w.to === undefined ? g.end : g.mid(w.to);
  const cls = w.cycle ? 'wait wait-cycle' : 'wait';
  const head = w.cycle ? 'head-cycle' : 'head-wait';
  const d = details.wait(w);
  const out = [`<g class="${cls}" data-d="${d}">`, `<line class="wait-span" x1="${x}" y1="${y}" x2="${x}" y2="${y2}"/>`];
  for (const target of w.on) {
    const right = g.x(target) > g.x(w.lane);
    const x2 = right ? g.x(target) + 4 : g.lifeline(target) + 6;
    out.push(`<line class="wait-arrow" x1="${x}" y1="${y}" x2="${x2}" y2="${y}" marker-end="url(#${head})"/>`);
  }
  if (w.on.length > 0) {
    const right = g.x(w.on[0]!) > g.x(w.lane);
    const text = `${w.op} ${w.object}`;
    out.push(
      `<text class="wait-label" x="${right ? x + 8 : x - 8}" y="${y + 10}" text-anchor="${right ? 'start' : 'end'}">${esc(text)}</text>`,
    );
  }
  out.push('</g>');
  return out.join('');
}

function mark(g: Geometry, m: Mark): string {
  const cx = g.lifeline(m.lane);
  const cy = g.mid(m.seq);
  const fill = MARK_COLOUR[m.kind];
  const label = `<text class="label" x="${cx + 9}" y="${cy + 3.5}">${esc(clip(m.label, g.labelChars))}</text>`;
  return `${shape(m.kind, cx, cy, fill)}${label}`;
}

export function shape(kind: MarkKind, cx: number, cy: number, fill: string): string {
  if (kind === 'fault') return `<path class="mark" d="M${cx} ${cy - 6}L${cx + 6} ${cy + 5}L${cx - 6} ${cy + 5}z" fill="${fill}"/>`;
  if (EXTERNAL.has(kind))
    return `<path class="mark" d="M${cx} ${cy - 6}L${cx + 6} ${cy}L${cx} ${cy + 6}L${cx - 6} ${cy}z" fill="${fill}"/>`;
  return `<circle class="mark" cx="${cx}" cy="${cy}" r="${kind === 'step' ? 3.5 : 4.5}" fill="${fill}"/>`;
}

/** The band under the verdict's step: what was found and, for a deadlock, the cycle closed. */
function verdict(g: Geometry): string[] {
  const top = g.verdictBand;
  const v = g.t.verdict;
  if (top === undefined) return [];
  const first = (v.message.split('\n')[0] ?? '').replace(/:$/, '');
  const headline = first.startsWith(v.kind)
    ? first
    : `${v.kind}${v.time === undefined ? '' : ` at t = ${virtualTime(v.time)}`} (step ${v.step}): ${first}`;
  const out = [
    `<g id="verdict" data-bottom="${top + g.band - BAND_GAP}">`,
    `<rect class="verdict-band" x="0" y="${top}" width="${g.width}" height="${g.band - BAND_GAP}"/>`,
    `<text class="verdict-text" x="8" y="${top + 18}">${esc(clip(headline, 220))}</text>`,
  ];
  const cycle = g.t.waits.filter((w) => w.cycle);
  cycle.forEach((w) => {
    const target = w.on.find((l) => cycle.some((c) => c.lane === l));
    if (target === undefined) return;
    const x1 = g.lifeline(w.lane);
    const x2 = g.lifeline(target);
    const y = top + 28;
    const depth = 14 + Math.min(Math.abs(x2 - x1) * 0.1, 26);
    out.push(
      `<path class="ring" d="M${x1} ${y}C${x1} ${y + depth},${x2} ${y + depth},${x2 + (x2 > x1 ? -2 : 2)} ${y + 3}" marker-end="url(#head-cycle)"/>`,
    );
    out.push(
      `<text class="ring-label" x="${(x1 + x2) / 2}" y="${y + depth + 4}" text-anchor="middle">${esc(`${w.op} ${w.object}`)}</text>`,
    );
  });
  out.push('</g>');
  return out;
}
