import { expect } from 'chai';
import fc from 'fast-check';
import { IdMap } from '../../src/core/idmap.js';

type Op = { readonly set: number } | { readonly del: number } | { readonly clear: true };

/** Every way a reader sees a map, as plain data. */
function seen(map: Map<number, { v: number }>): unknown {
  const each: unknown[] = [];
  map.forEach((value, id, self) => each.push([id, value, self === map]));
  return { size: map.size, entries: [...map], keys: [...map.keys()], values: [...map.values()], each };
}

describe('core: calls and timers by id (IdMap)', () => {
  it('agrees with a Map when ids are filed in increasing order, as the core files them, over pages made and dropped', () => {
    // Steps of up to 70 ids cross pages of 32; deletes pick among the ids filed so far, live or not.
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.record({ set: fc.integer({ min: 0, max: 70 }) }) },
      { weight: 5, arbitrary: fc.record({ del: fc.nat() }) },
      { weight: 1, arbitrary: fc.constant({ clear: true as const }) },
    );
    fc.assert(
      fc.property(fc.array<Op>(op, { maxLength: 300 }), (ops) => {
        const map = new IdMap<{ v: number }>();
        const model = new Map<number, { v: number }>();
        const filed: number[] = [];
        let next = 0;
        for (const [i, o] of ops.entries()) {
          if ('set' in o) {
            next += o.set;
            // Filing an id again keeps its place, in both.
            const id = o.set === 0 && filed.length > 0 ? filed[filed.length - 1]! : next;
            const value = { v: i };
            expect(map.set(id, value)).to.equal(map);
            model.set(id, value);
            filed.push(id);
          } else if ('del' in o) {
            const id = filed.length > 0 ? filed[o.del % filed.length]! : o.del;
            expect(map.delete(id)).to.equal(model.delete(id));
          } else {
            map.clear();
            model.clear();
          }
          for (const id of [...filed.slice(-5), next + 1]) {
            expect(map.get(id)).to.equal(model.get(id));
            expect(map.has(id)).to.equal(model.has(id));
          }
        }
        expect(seen(map)).to.deep.equal(seen(model));
        expect(map).to.deep.equal(model);
      }),
    );
  });

  it('iterates in increasing order of id, also when ids were filed out of order', () => {
    const map = new IdMap([
      [70, { v: 1 }],
      [3, { v: 2 }],
      [40, { v: 3 }],
      [1, { v: 4 }],
    ]);
    expect([...map.keys()]).to.deep.equal([1, 3, 40, 70]);
    expect(map.size).to.equal(4);
  });

  it('holds ids beyond 32 bits and finds nothing under ids that are not ids', () => {
    const big = 2 ** 40 + 33;
    const map = new IdMap([[big, { v: 1 }]]);
    expect(map.get(big)).to.deep.equal({ v: 1 });
    expect([...map.keys()]).to.deep.equal([big]);
    for (const id of [-1, 0.5, big + 0.5, Number.NaN]) {
      expect(map.get(id)).to.equal(undefined);
      expect(map.delete(id)).to.equal(false);
    }
    expect(map.size).to.equal(1);
  });

  it('refuses to file anything under an id that is not a non-negative integer', () => {
    const map = new IdMap<{ v: number }>();
    for (const id of [-1, 0.5, Number.NaN, Infinity, 2 ** 53]) {
      expect(() => map.set(id, { v: 0 }), String(id)).to.throw(RangeError, 'an id is a non-negative integer');
    }
    expect(map.size).to.equal(0);
  });

  it('a callback deleting entries ahead of it does not see them, as with a Map', () => {
    const map = new IdMap([
      [1, { v: 1 }],
      [2, { v: 2 }],
      [40, { v: 3 }],
    ]);
    const visited: number[] = [];
    map.forEach((_value, id) => {
      visited.push(id);
      map.delete(2);
      map.delete(40);
    });
    expect(visited).to.deep.equal([1]);
  });
});
