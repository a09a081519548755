// ESLint flat config: @eslint/js and typescript-eslint's recommended rules (not the
// type-checked presets, so that `npm run lint` stays fast). Layout is prettier's job.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // Generated or produced files: src/wire is ts-proto's output (`npm run proto`).
    ignores: [
      'dist/',
      'src/wire/',
      'node_modules/',
      'test/fixtures/*/dist/',
      'test/fixtures/*/node_modules/',
      '.stryker-tmp/',
      'reports/',
      'hunt-out/',
      'out/',
    ],
  },
  js.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // The core must stay fully typed; nothing else needs `any` either.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      // A `let` that a closure reads before its one assignment (two objects that call each
      // other, a kill() hooked up before the child is spawned) cannot be a const: the
      // closure would meet it in its temporal dead zone.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-console': 'off',
      // A goroutine of a lock-level model is a generator even when this one never blocks.
      'require-yield': 'off',
    },
  },
);
