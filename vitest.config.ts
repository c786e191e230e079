import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Graders (test/graders) and mutants are not test files: the meta-tests run them.
    // Browser specs (test/e2e) belong to Playwright.
    include: ['test/meta/**/*.test.ts', 'test/unit/**/*.test.ts', 'test/bench/**/*.test.ts', 'test/soak/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Grading is mostly waiting (held requests, time limits), not computing: run several at
    // once — but not so many that two cores make a right solution miss its time limits.
    maxConcurrency: 4,
    // Two test files at a time where there are two cores (vitest's default leaves one idle):
    // the full run took 437 s one file at a time here, 268–300 s two at a time, every test passing.
    maxWorkers: Math.max(1, Math.min(2, availableParallelism())),
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
