import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadAddon } from '../../src/grpc/addon.js';

describe('the C heap trimmer (native/memory.c)', () => {
  it('gives back the pages of chunks freed between live ones, which the process keeps otherwise', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { trim } = loadAddon<{ trim(): boolean }>('memory');
    trim();
    // Buffers of this size are the C heap's chunks; one in 50 stays, so the freed ones
    // are not at the top of the heap, where glibc would give them back by itself.
    let buffers = Array.from({ length: 40_000 }, () => Buffer.allocUnsafeSlow(2_048));
    buffers = buffers.filter((_, i) => i % 50 === 0);
    gc();
    gc();
    const before = process.memoryUsage().rss;
    expect(trim()).to.equal(true);
    const freedMb = (before - process.memoryUsage().rss) / 2 ** 20;
    expect(freedMb, `RSS ${(before / 2 ** 20).toFixed(0)} MB before the trim`).to.be.greaterThan(40);
    expect(buffers).to.have.length(800);
  });

  it('names the missing addon and how to build it', () => {
    expect(() => loadAddon('no-such-addon')).to.throw(/the no-such-addon addon is not built .*npm ci.*npm run build:native/s);
  });
});
