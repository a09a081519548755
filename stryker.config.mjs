// @ts-check
/**
 * Mutation testing of the core and the runner: every mutant of src/core or src/runner
 * must make some test of test/core or test/runner fail.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'src/core/**/*.ts',
    // Types and re-exports only: nothing runs, nothing to mutate.
    '!src/core/{effects,events,index,wire}.ts',
    // assertNever is unreachable once the type checker has proved the switch exhaustive.
    '!src/core/exhaustive.ts',
    'src/runner/**/*.ts',
    // The transport is an interface.
    '!src/runner/transport.ts',
  ],
  testRunner: 'mocha',
  // Stryker's mocha runs in its own worker processes, which ignore .mocharc.json's node-option.
  testRunnerNodeArgs: ['--import', 'tsx'],
  mochaOptions: {
    'no-config': true,
    'no-package': true,
    spec: ['test/core/**/*.test.ts', 'test/runner/**/*.test.ts'],
    // It reads the source text, which in the sandbox is the instrumented text.
    ignore: ['test/core/purity.test.ts'],
    require: ['test/core/mutation.hooks.ts'],
  },
  coverageAnalysis: 'perTest',
  // Only what the core and runner tests load is copied to the sandbox.
  ignorePatterns: [
    '/bench',
    '/dist',
    '/docs',
    '/proto',
    '/src/cli',
    '/src/embedded',
    '/src/grpc',
    '/src/sim',
    '/test/grpc',
    '/test/sim',
    '/hunt-out',
    '/out',
  ],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // One worker per core of a two-core machine; `--concurrency 1` leaves one free.
  concurrency: 2,
  timeoutMS: 10_000,
  timeoutFactor: 3,
  tempDirName: '.stryker-tmp',
};
