/**
 * Grading as a vitest suite: each lesson a describe, each grader test an `it` that fails
 * with the grader's own message. Run by `npm run grade -- --format junit` (GRADE_TARGET,
 * GRADE_LESSON) so that vitest's JUnit reporter writes the XML.
 */
import { beforeAll, describe, it } from 'vitest';
import { loadGrader } from '../../shared/grading/graders.ts';
import { gradeSubmission } from '../../shared/grading/submission.ts';
import type { LessonReport } from '../../shared/grading/types.ts';
import { findLesson, lessons } from '../../shared/manifest.ts';

const target = process.env.GRADE_TARGET ?? 'lessons';
const only = process.env.GRADE_LESSON ? [findLesson(process.env.GRADE_LESSON)!] : lessons;
const reports = new Map<string, LessonReport>();

beforeAll(async () => {
  const run = await gradeSubmission(target, only);
  for (const report of run.reports) reports.set(report.lesson, report);
});

for (const lesson of only) {
  const grader = await loadGrader(lesson.slug);
  describe(lesson.slug, () => {
    for (const test of grader.tests) {
      it(test.title, () => {
        const result = reports.get(lesson.slug)?.results.find((r) => r.id === test.id);
        if (result?.status !== 'passed') throw new Error(result?.message ?? 'not graded');
      });
    }
    // A test this machine cannot run is a skipped testcase in the XML, its reason in the name: never a pass.
    for (const test of grader.leftOut ?? []) it.skip(`${test.id} (left out on this machine: ${test.why})`, () => {});
  });
}
