/**
 * Go's `time.ParseDuration`, so that every duration a Go TAPA accepts from its environment
 * is accepted here with the same value, and every one it rejects is rejected.
 *
 * Grammar (Go's own comment): `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or a bare `0` (with an
 * optional sign). A number needs a digit on at least one side of the point (`1.s` and `.5s`
 * are valid, `.s` is not). The unit is every character up to the next digit or point, so
 * `1d`, `1 s` and `15` fail on the unit.
 *
 * Go computes in integer nanoseconds, truncates fractions below one nanosecond and rejects
 * anything beyond int64; this parser does the same with BigInt (including Go's float64 step
 * for fractions), then converts to milliseconds.
 */

/** A string that Go's time.ParseDuration would reject; the message says why. */
export class DurationError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid duration ${JSON.stringify(input)}: ${reason}`);
    this.name = 'DurationError';
  }
}

const NANOSECONDS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // U+00B5 MICRO SIGN
  ['\u03bcs', 1_000n], // U+03BC GREEK SMALL LETTER MU
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const UNITS = [...NANOSECONDS.keys()].join(', ');

/** 1<<63: Go's bound on the magnitude while parsing (int64 allows -(1<<63) but not +(1<<63)). */
const LIMIT = 1n << 63n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Parses a Go duration and returns it in milliseconds (possibly fractional, possibly negative). */
export function parseDuration(input: string): number {
  return Number(parseDurationNanoseconds(input)) / 1e6;
}

/** Parses a Go duration and returns Go's exact `time.Duration` value in nanoseconds. */
export function parseDurationNanoseconds(input: string): bigint {
  const fail = (reason: string): never => {
    throw new DurationError(input, reason);
  };
  let i = 0;
  let negative = false;
  if (input[0] === '-' || input[0] === '+') {
    negative = input[0] === '-';
    i = 1;
  }
  if (input.slice(i) === '0') return 0n;
  if (i === input.length) fail('expected a number followed by a unit such as 15s or 1m30s');

  let total = 0n;
  while (i < input.length) {
    if (!(input[i] === '.' || isDigit(input[i]))) fail(`expected a digit at offset ${i}`);

    let whole = 0n;
    const wholeStart = i;
    for (; isDigit(input[i]); i++) {
      whole = whole * 10n + BigInt(input.charCodeAt(i) - 48);
      if (whole > LIMIT) fail('out of range');
    }
    const hasWhole = i > wholeStart;

    // Go keeps at most the digits that fit in int64 and ignores the rest (they are below
    // a nanosecond anyway); `scale` is a float64 exactly as in Go's leadingFraction.
    let fraction = 0n;
    let scale = 1;
    let hasFraction = false;
    if (input[i] === '.') {
      i++;
      let overflow = false;
      for (; isDigit(input[i]); i++) {
        hasFraction = true;
        if (overflow) continue;
        const next = fraction * 10n + BigInt(input.charCodeAt(i) - 48);
        if (fraction > (LIMIT - 1n) / 10n || next > LIMIT) {
          overflow = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
    }
    if (!hasWhole && !hasFraction) fail(`expected a digit before or after the point at offset ${wholeStart}`);

    const unitStart = i;
    while (i < input.length && !(input[i] === '.' || isDigit(input[i]))) i++;
    const unitName = input.slice(unitStart, i);
    if (unitName === '') fail(`missing unit (one of ${UNITS}) after the number at offset ${wholeStart}`);
    const unit = NANOSECONDS.get(unitName) ?? fail(`unknown unit ${JSON.stringify(unitName)} (expected one of ${UNITS})`);

    if (whole > LIMIT / unit) fail('out of range');
    let value = whole * unit;
    if (fraction > 0n) {
      // Go: v += uint64(float64(f) * (float64(unit) / scale)) — float64 keeps fractions of
      // hours nanosecond-accurate, and reproducing it keeps the rounding identical.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > LIMIT) fail('out of range');
    }
    total += value;
    if (total > LIMIT) fail('out of range');
  }
  if (negative) return total === 0n ? 0n : -total;
  if (total > LIMIT - 1n) fail('out of range');
  return total;
}
