import { expect } from 'chai';
import fc from 'fast-check';
import { Agenda, type Due } from '../../src/runner/agenda.js';

type Step =
  | { t: 'add'; kind: Due['kind']; id: number; after: number }
  | { t: 'remove'; kind: Due['kind']; id: number }
  | { t: 'take'; after: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    t: fc.constant('add' as const),
    kind: fc.constantFrom('timer' as const, 'deadline' as const),
    id: fc.nat(30),
    after: fc.nat(50),
  }),
  fc.record({ t: fc.constant('remove' as const), kind: fc.constantFrom('timer' as const, 'deadline' as const), id: fc.nat(30) }),
  fc.record({ t: fc.constant('take' as const), after: fc.nat(60) }),
);

describe('runner: Agenda, the timers and deadlines by due time', () => {
  it('agrees with a plain list: earliest first, ties in the order set; a re-set id replaces the old; removed entries never come out', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 200 }), (steps) => {
        const agenda = new Agenda();
        let list: { kind: Due['kind']; id: number; at: number; seq: number }[] = [];
        let now = 0;
        let seq = 0;
        for (const s of steps) {
          if (s.t === 'add') {
            list = list.filter((e) => !(e.kind === s.kind && e.id === s.id));
            list.push({ kind: s.kind, id: s.id, at: now + s.after, seq: seq++ });
            agenda.add(s.kind, s.id, now + s.after);
          } else if (s.t === 'remove') {
            const had = list.some((e) => e.kind === s.kind && e.id === s.id);
            list = list.filter((e) => !(e.kind === s.kind && e.id === s.id));
            expect(agenda.remove(s.kind, s.id)).to.equal(had);
          } else {
            now += s.after;
            const due = list.filter((e) => e.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
            const taken: string[] = [];
            for (let d = agenda.take(now); d; d = agenda.take(now)) taken.push(`${d.kind}:${d.id}@${d.at}`);
            expect(taken).to.deep.equal(due.map((e) => `${e.kind}:${e.id}@${e.at}`));
            list = list.filter((e) => e.at > now);
          }
          expect(agenda.size).to.equal(list.length);
          expect(agenda.next()).to.equal(list.length === 0 ? undefined : Math.min(...list.map((e) => e.at)));
          expect([...agenda.ids('timer')].sort()).to.deep.equal(
            list
              .filter((e) => e.kind === 'timer')
              .map((e) => e.id)
              .sort(),
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});
