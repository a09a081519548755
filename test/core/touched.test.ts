import { expect } from 'chai';
import fc from 'fast-check';
import { Touched } from '../../src/core/touched.js';

describe('core: what a step touched', () => {
  it('agrees with a Set, few members or many: each once, in the order of first touch, until taken', () => {
    const items = Array.from({ length: 41 }, (_, i) => ({ i }));
    const op = fc.oneof(fc.record({ add: fc.constantFrom(...items) }), fc.constant({ take: true as const }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const touched = new Touched<{ i: number }>();
        let model = new Set<{ i: number }>();
        for (const o of ops) {
          if ('add' in o) {
            touched.add(o.add);
            model.add(o.add);
          } else {
            expect(touched.take()).to.deep.equal([...model]);
            model = new Set();
          }
          expect(touched.size).to.equal(model.size);
          expect(touched.items).to.deep.equal([...model]);
          for (const item of items) expect(touched.has(item)).to.equal(model.has(item));
        }
      }),
    );
  });
});
