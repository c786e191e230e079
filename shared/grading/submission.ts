/**
 * Grading a whole submission: every lesson (or a chosen few) of one target, in order, each
 * in its own child processes, and a look at what a teacher should know — a lesson that
 * imports the reference solutions.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { lessons, type Lesson } from '../manifest.ts';
import { describeError, labels } from './failure.ts';
import type { GradeRun } from './formats.ts';
import { loadGrader } from './graders.ts';
import { gradeLesson } from './runner.ts';
import { lessonFolder, targetRoot } from './targets.ts';
import type { LessonReport, TestResult } from './types.ts';

/** Imports and dynamic imports in TypeScript source. */
const specifiers = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

/** The lesson's files that import anything from a solutions/ folder. */
export function solutionImports(folder: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (name === 'node_modules') continue;
      if (statSync(file).isDirectory()) visit(file);
      else if (/\.[cm]?[jt]s$/.test(name)) {
        for (const [, specifier] of readFileSync(file, 'utf8').matchAll(specifiers)) {
          if (/(^|\/)solutions\//.test(specifier!)) found.push(`${path.relative(folder, file)} imports "${specifier}"`);
        }
      }
    }
  };
  visit(folder);
  return found;
}

/**
 * How many of a lesson's tests run side by side when a submission is graded (runner.ts,
 * `parallel`): GRADE_PARALLEL, else 3. Grading is mostly waiting — a starter's tests each wait
 * out a limit for an answer that never comes — so three children cut a lesson's time without
 * changing any test; more would make a right solution's timing checks share two cores too thinly.
 */
export const PARALLEL_TESTS = Math.max(1, Number(process.env.GRADE_PARALLEL) || 3);

function notGraded(lesson: Lesson, reason: string): Promise<LessonReport> {
  return loadGrader(lesson.slug).then((grader) => ({
    lesson: lesson.slug,
    lessonDir: '',
    results: grader.tests.map(
      (test): TestResult => ({ id: test.id, title: test.title, points: test.points ?? 1, status: 'failed', message: reason, durationMs: 0 }),
    ),
    leftOut: grader.leftOut ?? [],
    tests: grader.tests.map(({ id, title, look }) => ({ id, title, look })),
  }));
}

/**
 * Grades `target` (lessons, solutions, or a folder: see targets.ts for where its lessons are
 * found); `only` limits it to some lessons. Throws MissingTarget when the folder does not exist.
 */
export async function gradeSubmission(
  target: string,
  only?: readonly Lesson[],
  onReport?: (report: LessonReport) => void,
  { parallel = PARALLEL_TESTS }: { parallel?: number } = {},
): Promise<GradeRun> {
  const started = performance.now();
  const flags: string[] = [];
  const reports: LessonReport[] = [];
  const root = targetRoot(target); // throws MissingTarget for a folder that does not exist
  for (const lesson of only ?? lessons) {
    const original = [path.join(root, lesson.slug), root].find((dir) => existsSync(path.join(dir, lesson.files[0]!)));
    if (original) for (const hit of solutionImports(original)) flags.push(`${lesson.slug}: ${hit} — lesson code must not use the reference solutions`);
    let report: LessonReport;
    const lessonStarted = performance.now();
    try {
      report = await gradeLesson(lesson, lessonFolder(lesson, target), { parallel });
    } catch (error) {
      report = await notGraded(lesson, `${labels.expected}the lesson's files in the submission.\n${labels.got}${describeError(error)}`);
    }
    report = { ...report, durationMs: Math.round(performance.now() - lessonStarted) };
    reports.push(report);
    onReport?.(report);
  }
  return { reports, flags, durationMs: Math.round(performance.now() - started) };
}
