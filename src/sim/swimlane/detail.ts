import type { Lane } from './lane.js';
import { MARK_KINDS } from './mark.js';
import { virtualTime } from './text.js';
import type { Hold, Mark, Timeline, Wait } from './timeline.js';

/** What the side panel shows for the element under the cursor. */
export interface Detail {
  readonly title: string;
  readonly fields: readonly (readonly [string, string])[];
  /** Innermost first. */
  readonly stack?: readonly string[];
}

/** Details of one timeline, indexed as the diagram's `data-d` attributes refer to them. */
export class Details {
  readonly entries: Detail[] = [];

  constructor(private readonly t: Timeline) {}

  add(detail: Detail): number {
    this.entries.push(detail);
    return this.entries.length - 1;
  }

  /** For the page's script: a goroutine's steps share few stacks, so each is written once and referred to by index. */
  payload(): { entries: { title: string; fields: readonly (readonly [string, string])[]; stack?: number }[]; stacks: string[] } {
    const stacks: string[] = [];
    const index = new Map<string, number>();
    const entries = this.entries.map(({ title, fields, stack }) => {
      if (stack === undefined) return { title, fields };
      const text = stack.join('\n');
      let i = index.get(text);
      if (i === undefined) {
        i = stacks.push(text) - 1;
        index.set(text, i);
      }
      return { title, fields, stack: i };
    });
    return { entries, stacks };
  }

  mark(m: Mark): number {
    const cause = m.cause === undefined ? undefined : this.t.marks[m.cause];
    return this.add({
      title: m.label,
      fields: [
        ['step', `${m.seq} at t = ${virtualTime(m.time)}`],
        [this.t.lanes[m.lane]?.group === 'goroutine' ? 'goroutine' : 'actor', m.actor],
        ['kind', MARK_KINDS.find((k) => k.kind === m.kind)?.text ?? m.kind],
        ...(cause ? [['caused by', `step ${cause.seq}, ${cause.actor}: ${cause.label}`] as const] : []),
      ],
      ...(m.stack ? { stack: m.stack } : {}),
    });
  }

  hold(h: Hold): number {
    const taken = this.t.marks[h.from];
    return this.add({
      title: `${h.lock} held by ${this.laneName(h.lane)}`,
      fields: [
        ['lock', `${h.lock} (instance ${h.instance} of that name)`],
        ['taken', this.at(h.from)],
        ['released', h.to === undefined ? 'never' : this.at(h.to)],
        ...(h.cycle ? [['deadlock', 'a goroutine of the cycle waits for it'] as const] : []),
      ],
      ...(taken?.stack ? { stack: taken.stack } : {}),
    });
  }

  wait(w: Wait): number {
    return this.add({
      title: `${this.laneName(w.lane)} waits: ${w.op} ${w.object}`,
      fields: [
        ['parked', this.at(w.from)],
        ['until', w.to === undefined ? 'the end of the run' : this.at(w.to)],
        [
          'waits for',
          w.on.map((l) => this.laneName(l)).join(', ') || 'nobody known (an RPC, a timer, a channel without a registered partner)',
        ],
        ...(w.cycle ? [['deadlock', 'an edge of the cycle'] as const] : []),
      ],
    });
  }

  lane(l: Lane): number {
    const s = l.stuck;
    return this.add({
      title: `${l.title} ${l.subtitle}`,
      fields: [
        [l.group === 'goroutine' ? 'goroutine' : 'actor', l.id],
        ...(l.role === 'cycle'
          ? [['deadlock', 'in the cycle'] as const]
          : l.role === 'stuck'
            ? [['deadlock', 'parked behind the cycle'] as const]
            : []),
        ...(s
          ? [
              ['holds', s.holds.join(', ') || '-'] as const,
              ['waits', `${s.waitsFor.op} ${s.waitsFor.object} (on ${s.waitsFor.on.join(', ') || '-'})`] as const,
            ]
          : []),
      ],
      ...(s ? { stack: s.stack } : {}),
    });
  }

  private at(seq: number): string {
    const m = this.t.marks[seq];
    return m ? `step ${seq} at t = ${virtualTime(m.time)}` : `step ${seq}`;
  }

  private laneName(lane: number): string {
    const l = this.t.lanes[lane];
    return l ? `${l.title} ${l.subtitle}` : '?';
  }
}
