/**
 * The graders are product, so they are tested: for every lesson in the manifest, the
 * reference solution passes every test, the untouched starter fails every test, and every
 * curated mutant (the solution with one typical mistake) is caught by the test named for it.
 * Everything runs through the same child-process runner as `npm run verify`.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGrader, loadMutants } from '../../shared/grading/graders.ts';
import { gradeLesson } from '../../shared/grading/runner.ts';
import { lessonFolder, stageMutant } from '../../shared/grading/targets.ts';
import { DEFAULT_TEST_TIMEOUT_MS } from '../../shared/grading/engine.ts';
import type { GraderTest, TestResult } from '../../shared/grading/types.ts';
import { lessons } from '../../shared/manifest.ts';

const MIN_MUTANTS = 6;

/** What grading a whole lesson may take at most: every test's own limit, plus starting the processes. */
function gradingLimitMs(tests: readonly GraderTest[]): number {
  return tests.reduce((sum, test) => sum + (test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS), 30_000);
}

function failuresOf(results: readonly TestResult[]): string {
  return results
    .filter((r) => r.status === 'failed')
    .map((r) => `${r.id}: ${r.title}\n${r.message}`)
    .join('\n\n');
}

for (const lesson of lessons) {
  const grader = await loadGrader(lesson.slug);
  const mutants = await loadMutants(lesson.slug);
  const testIds = grader.tests.map((t) => t.id);

  describe.concurrent(`lesson ${lesson.slug}`, () => {
    it('has a grader whose test ids are unique, and enough curated mutants naming real tests', () => {
      expect(new Set(testIds).size).toBe(testIds.length);
      expect(mutants.length).toBeGreaterThanOrEqual(MIN_MUTANTS);
      expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
      for (const mutant of mutants) expect(testIds, `mutant ${mutant.id}`).toContain(mutant.caughtBy);
    });

    it('the reference solution passes every test', async () => {
      const report = await gradeLesson(lesson, lessonFolder(lesson, 'solutions'));
      expect(failuresOf(report.results)).toBe('');
      expect(report.results).toHaveLength(grader.tests.length);
    }, gradingLimitMs(grader.tests));

    it('the untouched starter fails every test', async () => {
      const report = await gradeLesson(lesson, lessonFolder(lesson, 'lessons'));
      const passing = report.results.filter((r) => r.status === 'passed').map((r) => r.id);
      expect(
        passing,
        `lessons/${lesson.slug} passes some tests. If you are working through the course, that is your ` +
          'progress, not a fault: `npm test` checks the untouched workshop; grade your work with `npm run verify`.',
      ).toEqual([]);
    }, gradingLimitMs(grader.tests));

    describe('curated mutants', () => {
      for (const mutant of mutants) {
        it(`${mutant.id} (${mutant.mistake}) is caught by ${mutant.caughtBy}`, async () => {
          const folder = stageMutant(lesson, mutant);
          // Only the named test runs: that it fails is the claim.
          const report = await gradeLesson(lesson, folder, { only: [mutant.caughtBy] });
          const named = report.results.find((r) => r.id === mutant.caughtBy);
          expect(named?.status, `results for ${path.relative(process.cwd(), folder)}:\n${failuresOf(report.results)}`).toBe('failed');
        });
      }
    });
  });
}
