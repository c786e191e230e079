/**
 * Grading reports in the formats classrooms and platforms read: a points table for people,
 * plain JSON, Exercism's test-runner `results.json` (version 3), and Gradescope's
 * `results.json`. (JUnit XML comes from vitest's own reporter: see test/grade/.)
 *
 * @module
 */
import { lessons } from '../manifest.ts';
import { leftOutLine, summaryLine, type Style } from './report.ts';
import type { LessonReport, TestResult } from './types.ts';

/** One grading of one submission (or the learner's folder): every lesson graded, and what was noticed. */
export interface GradeRun {
  readonly reports: readonly LessonReport[];
  readonly durationMs: number;
  /** Things a teacher should look at, e.g. a lesson that imports the reference solution. */
  readonly flags: readonly string[];
}

const pointsOf = (results: readonly TestResult[]) => results.reduce((sum, r) => sum + (r.status === 'passed' ? r.points : 0), 0);
const maxPointsOf = (results: readonly TestResult[]) => results.reduce((sum, r) => sum + r.points, 0);
const allResults = (run: GradeRun) => run.reports.flatMap((r) => r.results);
const leftOutOf = (run: GradeRun) => run.reports.flatMap((r) => r.leftOut.map((t) => ({ lesson: r.lesson, ...t })));

export function score(run: GradeRun): { points: number; maxPoints: number } {
  const results = allResults(run);
  return { points: pointsOf(results), maxPoints: maxPointsOf(results) };
}

/** The lesson's part a test belongs to (the lesson texts' tasks): 1 the server, 2 the client. */
function taskOf(result: TestResult): number {
  return result.title.startsWith('client:') ? 2 : 1;
}

/** A lesson whose code could not even be loaded: every test failed before it could check anything. */
function loadFailure(report: LessonReport): string | undefined {
  const messages = report.results.map((r) => r.message ?? '');
  return messages.length > 0 && messages.every((m) => m.startsWith('Could not load')) ? messages[0] : undefined;
}

export function toText(run: GradeRun, style: Style): string {
  const lines: string[] = [];
  const width = Math.max(...lessons.map((l) => l.title.length)) + 4;
  lines.push(style.bold(`${'lesson'.padEnd(width)} points   tests`));
  for (const report of run.reports) {
    const lesson = lessons.find((l) => l.slug === report.lesson);
    const name = `${String(lesson?.number ?? '?').padStart(2, '0')} ${lesson?.title ?? report.lesson}`;
    const points = `${pointsOf(report.results)}/${maxPointsOf(report.results)}`;
    lines.push(`${name.padEnd(width)} ${points.padEnd(8)} ${summaryLine(report.results, report.leftOut.length)}`);
    for (const failed of report.results.filter((r) => r.status === 'failed')) lines.push(style.dim(`    ✘ ${failed.title}`));
    for (const test of report.leftOut) lines.push(style.dim(leftOutLine(test)));
  }
  const total = score(run);
  lines.push(style.bold(`${'total'.padEnd(width)} ${`${total.points}/${total.maxPoints}`.padEnd(8)} ${summaryLine(allResults(run), leftOutOf(run).length)}`));
  for (const flag of run.flags) lines.push(style.red(`! ${flag}`));
  return `${lines.join('\n')}\n`;
}

export function toJson(run: GradeRun): object {
  return {
    ...score(run),
    durationMs: run.durationMs,
    flags: run.flags,
    lessons: run.reports.map((report) => ({
      lesson: report.lesson,
      points: pointsOf(report.results),
      maxPoints: maxPointsOf(report.results),
      results: report.results,
      leftOut: report.leftOut,
    })),
  };
}

/** Exercism's test-runner interface, results.json version 3. */
export function toExercism(run: GradeRun): object {
  const results = allResults(run);
  const failedToLoad = run.reports.map(loadFailure).filter((m): m is string => m !== undefined);
  if (results.length > 0 && failedToLoad.length === run.reports.length) {
    return { version: 3, status: 'error', message: failedToLoad.join('\n\n').slice(0, 65_535) };
  }
  return {
    version: 3,
    status: results.every((r) => r.status === 'passed') ? 'pass' : 'fail',
    tests: run.reports.flatMap((report) =>
      report.results.map((result) => ({
        name: `${report.lesson} › ${result.title}`,
        status: result.status === 'passed' ? 'pass' : 'fail',
        ...(result.message ? { message: result.message.slice(0, 65_535) } : {}),
        test_code: `${report.lesson}: ${result.id} — ${result.title}`,
        task_id: taskOf(result),
      })),
    ),
  };
}

/** Gradescope's autograder results.json. */
export function toGradescope(run: GradeRun): object {
  const total = score(run);
  return {
    score: total.points,
    execution_time: Math.round(run.durationMs / 1000),
    output: [
      `${total.points} of ${total.maxPoints} points.`,
      ...run.flags.map((f) => `Flag: ${f}`),
      ...leftOutOf(run).map((t) => `Left out (this machine cannot run it, not counted): ${t.lesson} › ${t.id}: ${t.why}`),
    ].join('\n'),
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: run.reports.flatMap((report) =>
      report.results.map((result) => ({
        name: `${report.lesson} › ${result.title}`,
        number: `${report.lesson.slice(0, 2)}.${report.results.indexOf(result) + 1}`,
        score: result.status === 'passed' ? result.points : 0,
        max_score: result.points,
        status: result.status,
        output: result.message ?? 'Passed.',
        visibility: 'visible',
      })),
    ),
  };
}
