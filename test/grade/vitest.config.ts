/** Used only by `npm run grade -- --format junit`: grading results as vitest tests, for vitest's JUnit reporter. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/grade/lessons.grade.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
