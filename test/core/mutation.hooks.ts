import fc from 'fast-check';
import { parsePrefix } from '../../src/core/prefix.js';

/**
 * Loaded by the mutation run only (stryker.config.mjs). A fixed seed gives every mutant
 * the very cases its covering tests were chosen with, so a result can be reproduced;
 * a failure needs no shrinking there, only to be seen.
 */
fc.configureGlobal({ seed: 1, endOnFailure: true });

/** The most results parsePrefix keeps (its CACHE_LIMIT). */
const PREFIX_CACHE_BOUND = 4_096;
let unparsed = 0;
let runs = 0;

/** Parses more addresses than the cache holds, none seen before: nothing earlier stays cached. */
function forgetParsedPrefixes(): void {
  for (let i = 0; i <= PREFIX_CACHE_BOUND; i++, unparsed++) {
    parsePrefix(`${unparsed >>> 24}.${(unparsed >>> 16) & 255}.${(unparsed >>> 8) & 255}.${unparsed & 255}/32`);
  }
}

/**
 * Stryker runs one mutant after another in the same process, and parsePrefix's cache
 * outlives a run: results parsed under one mutant would hide a mutant of the parser in
 * the next run, or fail the tests of an unrelated one. The cache is emptied after each
 * run, and again before the next, since a mutant of the cache itself may keep it from
 * emptying. Not before a process's first run, which finds it empty: parsing outside any
 * test in the dry run would make Stryker treat every mutant of the parser as static.
 */
export const mochaHooks = {
  beforeAll(): void {
    if (runs++ > 0) forgetParsedPrefixes();
  },
  afterAll: forgetParsedPrefixes,
};
