import { conduitName, streamName, tapaName, type Scenario } from './scenario.js';

/**
 * A failure's signature: `<kind>: <detail>`, the same for every run of one bug whatever
 * the seed, and different for different bugs, so that a hunt can bucket failures and
 * skip known ones. The detail by kind:
 *
 * - `deadlock`: the parked stacks of the goroutines in the cycle (goroutine/signature.ts);
 * - `stall`: the waiter's parked stack, then `held by` and the stack that took the lock;
 * - `hang`: the parked stacks of the TAPA's goroutines blocked on a mutex or WaitGroup
 *   (`-` when none is, and always for a model without goroutines);
 * - `potential-deadlock`: the lock classes of each lock-order cycle;
 * - `invariant` and `convergence`: the rules broken, or the reasons, as text with the
 *   scenario's names and every number and address abstracted, deduplicated and sorted
 *   (`still busy` for a run that never came to rest).
 */
export function textSignature(scenario: Scenario, text: string): string {
  const names = namesOf(scenario);
  const abstracted = text.split('; ').map((part) =>
    part
      .replace(names.pattern, (name) => names.placeholder.get(name)!)
      .replace(ADDRESS, '<ip>')
      .replace(/\d+/g, 'N'),
  );
  return [...new Set(abstracted)].sort().join('; ');
}

const ADDRESS = /\b\d{1,3}(?:\.\d{1,3}){3}(?:\/\d+)?|(?:[0-9a-f]{0,4}:){2,}[0-9a-f]{0,4}(?:\/\d+)?/gi;

interface Names {
  readonly pattern: RegExp;
  readonly placeholder: ReadonlyMap<string, string>;
}

const namesByScenario = new WeakMap<Scenario, Names>();

/** Longest first, so that `target-1` does not eat the start of `target-10`. */
function namesOf(scenario: Scenario): Names {
  let names = namesByScenario.get(scenario);
  if (names !== undefined) return names;
  const placeholder = new Map<string, string>();
  for (let t = 0; t < scenario.tapas; t++) placeholder.set(tapaName(t), '<tapa>');
  for (let c = 0; c < scenario.conduits; c++) {
    placeholder.set(conduitName(c), '<conduit>');
    for (let s = 0; s < scenario.streams; s++) placeholder.set(streamName(c, s), '<stream>');
  }
  const alternatives = [...placeholder.keys()].sort((a, b) => b.length - a.length).map(escape);
  const pattern = alternatives.length === 0 ? /(?!)/g : new RegExp(`(?<![\\w-])(?:${alternatives.join('|')})(?![\\w-])`, 'g');
  names = { pattern, placeholder };
  namesByScenario.set(scenario, names);
  return names;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
