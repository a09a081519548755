import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CORE = fileURLToPath(new URL('../../src/core/', import.meta.url));
const files = readdirSync(CORE).filter((f) => f.endsWith('.ts'));

describe('core: no I/O, no clock, no ambient randomness', () => {
  it('has source files to check', () => {
    expect(files.length).to.be.greaterThan(10);
  });
  for (const file of files) {
    const text = readFileSync(join(CORE, file), 'utf8');
    it(`${file}: no Date, Math.random, timers or process`, () => {
      expect(text).to.not.match(/Date\.|Math\.random|setTimeout|setInterval|process\./);
    });
    it(`${file}: imports nothing from the sim or the gRPC shell, and wire code as types only`, () => {
      const imports = [...text.matchAll(/^(import|export)\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)];
      for (const [line, , typeOnly, from] of imports) {
        expect(from, line).to.not.match(/\.\.\/(sim|grpc)\//);
        if (from?.startsWith('../wire/')) expect(typeOnly, `${line} must be a type-only import`).to.not.equal(undefined);
        if (!from?.startsWith('.')) expect(from, line).to.equal('ipaddr.js');
      }
    });
  }
});
