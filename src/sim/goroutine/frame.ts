import { currentGoroutine } from './goroutine.js';
import type { Go } from './op.js';

/**
 * Runs `body` with `name` pushed on the running goroutine's stack, and pops it when the
 * body returns or throws: `yield* frame('conduit.(*Conduit).GetIPs', getIPs(c))`.
 * Name frames like the Go functions (`pkg.(*Type).Method`, `...func1` for closures), so
 * a dump of the model compares with a real one.
 */
export function* frame<R>(name: string, body: Go<R>): Go<R> {
  const g = currentGoroutine();
  if (g === undefined) throw new Error(`frame ${name} entered outside a goroutine step`);
  g.frames.push(name);
  const depth = g.frames.length;
  try {
    return yield* body;
  } finally {
    // A frame entered with a different goroutine running would pop someone else's stack;
    // that corruption must surface, whatever the body did.
    if (g.frames.length === depth && g.frames[depth - 1] === name) g.frames.pop();
    // eslint-disable-next-line no-unsafe-finally
    else throw new Error(`frame ${name}: stack of ${g.actor} is [${g.frames.join(', ')}] on exit`);
  }
}

/**
 * Wraps a generator function so every call runs inside `frame(name, ...)`, keeping
 * `this`: `getIPs = framed('conduit.(*Conduit).GetIPs', function* (this: Conduit) { ... })`.
 */
export function framed<This, A extends unknown[], R>(
  name: string,
  fn: (this: This, ...args: A) => Go<R>,
): (this: This, ...args: A) => Go<R> {
  return function (this: This, ...args: A): Go<R> {
    return frame(name, fn.apply(this, args));
  };
}
