/** Compile-time proof that a switch covers every case; at run time, a named error. */
export function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
