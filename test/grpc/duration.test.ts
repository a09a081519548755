import { expect } from 'chai';
import fc from 'fast-check';

import { DurationError, parseDuration, parseDurationNanoseconds } from '../../src/grpc/duration.js';

const ns = 1n;
const us = 1_000n;
const ms = 1_000_000n;
const s = 1_000_000_000n;
const m = 60n * s;
const h = 60n * m;

// Go's own tables (time/time_test.go, parseDurationTests and parseDurationErrorTests), so
// that the parser is checked against Go's behaviour rather than against itself.
const valid: [string, bigint][] = [
  ['0', 0n],
  ['5s', 5n * s],
  ['30s', 30n * s],
  ['1478s', 1478n * s],
  ['-5s', -5n * s],
  ['+5s', 5n * s],
  ['-0', 0n],
  ['+0', 0n],
  ['5.0s', 5n * s],
  ['5.6s', 5n * s + 600n * ms],
  ['5.s', 5n * s],
  ['.5s', 500n * ms],
  ['1.0s', 1n * s],
  ['1.00s', 1n * s],
  ['1.004s', 1n * s + 4n * ms],
  ['1.0040s', 1n * s + 4n * ms],
  ['100.00100s', 100n * s + 1n * ms],
  ['10ns', 10n * ns],
  ['11us', 11n * us],
  ['12\u00b5s', 12n * us],
  ['12\u03bcs', 12n * us],
  ['13ms', 13n * ms],
  ['14s', 14n * s],
  ['15m', 15n * m],
  ['16h', 16n * h],
  ['3h30m', 3n * h + 30n * m],
  ['10.5s4m', 4n * m + 10n * s + 500n * ms],
  ['-2m3.4s', -(2n * m + 3n * s + 400n * ms)],
  ['1h2m3s4ms5us6ns', 1n * h + 2n * m + 3n * s + 4n * ms + 5n * us + 6n * ns],
  ['39h9m14.425s', 39n * h + 9n * m + 14n * s + 425n * ms],
  ['52763797000ns', 52763797000n],
  ['0.3333333333333333333h', 20n * m],
  ['9007199254740993ns', (1n << 53n) + 1n],
  ['9223372036854775807ns', (1n << 63n) - 1n],
  ['9223372036854775.807us', (1n << 63n) - 1n],
  ['9223372036s854ms775us807ns', (1n << 63n) - 1n],
  ['-9223372036854775808ns', -(1n << 63n)],
  ['-9223372036854775.808us', -(1n << 63n)],
  ['-9223372036s854ms775us808ns', -(1n << 63n)],
  ['-2562047h47m16.854775808s', -(1n << 63n)],
  ['0.100000000000000000000h', 6n * m],
  ['0.830103483285477580700h', 49n * m + 48n * s + 372539827n],
];

const invalid: string[] = [
  '',
  '3',
  '-',
  's',
  '.',
  '-.',
  '.s',
  '+.s',
  '1d',
  '\x85\x85',
  '\xffff',
  'hello \xffff world',
  '\uFFFD',
  '\uFFFD hello \uFFFD world',
  '9223372036854775810ns',
  '9223372036854775808ns',
  '-9223372036854775809ns',
  '9223372036854776us',
  '3000000h',
  '9223372036854775.808us',
  '9223372036854ms775us808ns',
  // Not in Go's table, but rejected by the same rules.
  '15',
  '00',
  '1 s',
  ' 1s',
  '1s ',
  '1S',
  '1e3s',
  '--1s',
  '1s-1s',
  '1..5s',
];

describe('grpc/duration', () => {
  describe("Go's valid durations", () => {
    for (const [input, want] of valid) {
      it(JSON.stringify(input), () => {
        expect(parseDurationNanoseconds(input)).to.equal(want);
        expect(parseDuration(input)).to.equal(Number(want) / 1e6);
      });
    }
  });

  describe("Go's invalid durations", () => {
    for (const input of invalid) {
      it(JSON.stringify(input), () => {
        expect(() => parseDuration(input)).to.throw(DurationError, `invalid duration ${JSON.stringify(input)}`);
      });
    }
  });

  it('returns milliseconds, with fractions below a millisecond', () => {
    expect(parseDuration('15s')).to.equal(15_000);
    expect(parseDuration('1m30s')).to.equal(90_000);
    expect(parseDuration('1.5h')).to.equal(5_400_000);
    expect(parseDuration('300ms')).to.equal(300);
    expect(parseDuration('-1.5h')).to.equal(-5_400_000);
    expect(parseDuration('1500us')).to.equal(1.5);
    expect(Object.is(parseDuration('-0'), 0)).to.equal(true);
  });

  it('says what is wrong', () => {
    expect(() => parseDuration('15')).to.throw(/missing unit/);
    expect(() => parseDuration('1d')).to.throw(/unknown unit "d"/);
    expect(() => parseDuration('.s')).to.throw(/expected a digit before or after the point/);
    expect(() => parseDuration('3000000h')).to.throw(/out of range/);
    expect(() => parseDuration('')).to.throw(/such as 15s/);
  });

  // Fractions are limited to the digits that make `unit / 10^digits` a whole number of
  // nanoseconds, so the expected sum is exact and independent of Go's float64 step.
  const units: [string, bigint, number][] = [
    ['ns', ns, 0],
    ['us', us, 3],
    ['\u00b5s', us, 3],
    ['\u03bcs', us, 3],
    ['ms', ms, 6],
    ['s', s, 9],
    ['m', m, 10],
    ['h', h, 10],
  ];
  const component = fc
    .record({
      unit: fc.constantFrom(...units),
      whole: fc.bigInt({ min: 0n, max: 100_000n }),
      fraction: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 10 }),
      shape: fc.constantFrom('whole', 'whole.', 'whole.fraction', '.fraction'),
    })
    .map(({ unit: [name, size, maxDigits], whole, fraction, shape }) => {
      const digits = fraction.slice(0, maxDigits);
      const form = digits === '' && shape.endsWith('fraction') ? 'whole' : shape;
      const text =
        form === 'whole' ? `${whole}` : form === 'whole.' ? `${whole}.` : form === '.fraction' ? `.${digits}` : `${whole}.${digits}`;
      const wholePart = form === '.fraction' ? 0n : whole;
      const fractionPart = form.endsWith('fraction') ? (BigInt(digits) * size) / 10n ** BigInt(digits.length) : 0n;
      return { text: text + name, value: wholePart * size + fractionPart };
    });

  it('parses any formatted list of components to their sum', () => {
    fc.assert(
      fc.property(fc.constantFrom('', '+', '-'), fc.array(component, { minLength: 1, maxLength: 6 }), (sign, parts) => {
        const text = sign + parts.map((p) => p.text).join('');
        const sum = parts.reduce((acc, p) => acc + p.value, 0n);
        const want = sign === '-' ? -sum : sum;
        expect(parseDurationNanoseconds(text)).to.equal(want);
        expect(parseDuration(text)).to.equal(Number(want) / 1e6);
      }),
    );
  });

  it('rejects a number without a unit, except 0', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom('', '+', '-'), (n, sign) => {
        fc.pre(n !== 0);
        expect(() => parseDuration(`${sign}${n}`)).to.throw(DurationError, /missing unit/);
      }),
    );
  });
});
