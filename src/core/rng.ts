/**
 * xoshiro128** (Blackman & Vigna, 2018), seeded through splitmix32.
 *
 * The state is four unsigned 32-bit words in a plain array, so a TAPA state that
 * holds one stays serialisable, clonable and deep-comparable. Only 32-bit integer
 * operations (Math.imul, shifts) are used, which makes the sequence identical on
 * every platform and Node.js version.
 */
export type RngState = [number, number, number, number];

export function createRng(seed: number): RngState {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const state: RngState = [next(), next(), next(), next()];
  // An all-zero state would emit zeros forever.
  if (state.every((w) => w === 0)) state[0] = 1;
  return state;
}

/** Advances the state and returns an unsigned 32-bit integer. */
export function nextUint32(r: RngState): number {
  const result = Math.imul(rotl(Math.imul(r[1], 5) >>> 0, 7), 9) >>> 0;
  const t = (r[1] << 9) >>> 0;
  r[2] = (r[2] ^ r[0]) >>> 0;
  r[3] = (r[3] ^ r[1]) >>> 0;
  r[1] = (r[1] ^ r[2]) >>> 0;
  r[0] = (r[0] ^ r[3]) >>> 0;
  r[2] = (r[2] ^ t) >>> 0;
  r[3] = rotl(r[3], 11);
  return result;
}

/**
 * A uniform integer in [0, n). Multiply-shift instead of rejection sampling keeps
 * every draw to exactly one step of the generator, so replays never depend on how
 * many retries a draw took; the bias is below n / 2^32.
 */
export function nextInt(r: RngState, n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw new RangeError(`nextInt: bad bound ${n}`);
  return Math.floor((nextUint32(r) / 0x100000000) * n);
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
