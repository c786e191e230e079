import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Graders (test/graders) and mutants are not test files: the meta-tests run them.
    // Browser specs (test/e2e) belong to Playwright.
    include: ['test/meta/**/*.test.ts', 'test/unit/**/*.test.ts', 'test/bench/**/*.test.ts', 'test/soak/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Grading is mostly waiting (held requests, time limits), not computing: run many at once.
    maxConcurrency: 8,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
