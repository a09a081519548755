import { expect } from 'chai';
import { initialState } from '../../src/core/state.js';

describe('core: configuration', () => {
  it("defaults are the Go TAPA's (MERIDIO_NAME, MERIDIO_NODE, MERIDIO_NAMESPACE, entry timeout, call timeout)", () => {
    expect(initialState(1).config).to.deep.equal({
      name: 'nsc',
      node: '',
      namespace: 'default',
      nspEntryTimeoutMs: 30_000,
      timeoutMs: 15_000,
    });
  });

  it('what is given replaces only its own default', () => {
    expect(initialState(1, { node: 'worker-1' }).config).to.deep.include({ name: 'nsc', node: 'worker-1' });
  });
});
