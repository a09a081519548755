import { createRequire } from 'node:module';

/**
 * One of the package's own native addons (native/, built by `npm ci` through the
 * package's prepare script). Both src/grpc/addon.ts (tests, through tsx) and
 * dist/grpc/addon.js sit two levels below the package root.
 */
export function loadAddon<T>(name: string): T {
  try {
    return createRequire(import.meta.url)(`../../native/build/Release/${name}.node`) as T;
  } catch (err) {
    throw new Error(
      `the ${name} addon is not built (${(err as Error).message}); run \`npm ci\` or \`npm run build:native\`, which need a C compiler, make, python3 and Node's headers`,
      { cause: err },
    );
  }
}
