/**
 * Grading reports in the formats classrooms and platforms read: a points table for people,
 * plain JSON, Exercism's test-runner `results.json` (version 3), Gradescope's
 * `results.json`, and JUnit XML (one `<testsuite>` per lesson, with the tests' real times).
 *
 * @module
 */
import { hostname } from 'node:os';
import { lessonText, testText, type Translate } from '../i18n/index.ts';
import { columns, padColumns } from '../columns.ts';
import { lessons } from '../manifest.ts';
import { loadGrader } from './graders.ts';
import { leftOutLine, localizeResult, summaryLines, type Style } from './report.ts';
import { taskOf, testSource } from './tasks.ts';
import { renderTimeline } from './timeline-text.ts';
import type { Grader, LessonReport, TestResult } from './types.ts';

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

/**
 * A test's title in the report's language (the `graders` catalog), English when no translator is
 * given or the catalog has none. The platform reports take an optional translator: their test
 * names, their own sentences and each failure's message (report.ts localizeMessage) follow it.
 */
const titleOf = (t: Translate | undefined, slug: string, result: TestResult): string =>
  t ? testText(t, slug, { id: result.id, title: result.title, look: '' }, 'title') : result.title;

export function score(run: GradeRun): { points: number; maxPoints: number } {
  const results = allResults(run);
  return { points: pointsOf(results), maxPoints: maxPointsOf(results) };
}

/** A lesson whose code could not even be loaded: every test failed before it could check anything. */
function loadFailure(report: LessonReport): string | undefined {
  const messages = report.results.map((r) => r.message ?? '');
  return messages.length > 0 && messages.every((m) => m.startsWith('Could not load')) ? messages[0] : undefined;
}

/**
 * A failure's message with its timeline drawn under it (plain ASCII, 80 columns), for the
 * platforms that show one text per test: Gradescope's output, Exercism's and Classroom's
 * message, JUnit's failure.
 */
function drawnMessage(result: TestResult, report: LessonReport, t?: Translate): string | undefined {
  if (!result.message) return undefined;
  const worded = localizeResult(result, t, report.lesson, report.tests?.find((test) => test.id === result.id));
  return worded.timeline ? `${worded.message}\n\n${renderTimeline(worded.timeline, 80, undefined, t)}` : worded.message;
}

/**
 * The points table: a line per lesson, its failed tests under it, the total. In the language of
 * `t` (English without one); in another language the English machine line
 * `N passed, N failed` closes it, as every report's last line.
 */
export function toText(run: GradeRun, style: Style, t?: Translate): string {
  const say = (key: string, english: string): string => (t ? t(`teacher:table.${key}`) : english);
  const summary = (results: readonly TestResult[], leftOut: number): string => summaryLines(results, leftOut, t)[0]!;
  const nameOf = (slug: string): string => {
    const lesson = lessons.find((l) => l.slug === slug);
    return lesson ? `${String(lesson.number).padStart(2, '0')} ${t ? lessonText(t, lesson, 'title') : lesson.title}` : slug;
  };
  const width = Math.max(columns(say('lesson', 'lesson')), ...lessons.map((l) => columns(nameOf(l.slug)))) + 4;
  const points = (results: readonly TestResult[]): string => `${pointsOf(results)}/${maxPointsOf(results)}`;
  const lines: string[] = [style.bold(`${padColumns(say('lesson', 'lesson'), width)} ${padColumns(say('points', 'points'), 8)} ${say('tests', 'tests')}`)];
  for (const report of run.reports) {
    lines.push(`${padColumns(nameOf(report.lesson), width)} ${padColumns(points(report.results), 8)} ${summary(report.results, report.leftOut.length)}`);
    for (const failed of report.results.filter((r) => r.status === 'failed')) lines.push(style.dim(`    ✘ ${titleOf(t, report.lesson, failed)}`));
    for (const test of report.leftOut) lines.push(style.dim(leftOutLine(test, t)));
  }
  const all = allResults(run);
  const [total, machine] = summaryLines(all, leftOutOf(run).length, t);
  lines.push(style.bold(`${padColumns(say('total', 'total'), width)} ${padColumns(points(all), 8)} ${total}`));
  for (const flag of run.flags) lines.push(style.red(`! ${flag}`));
  // In another language, the English machine line last (summaryLines gives it only then).
  if (machine) lines.push(machine);
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

/** The graders of the lessons a run graded, by slug: Exercism's report shows their tests' code. */
export async function gradersOf(run: GradeRun): Promise<ReadonlyMap<string, Grader>> {
  return new Map(await Promise.all(run.reports.map(async (r) => [r.lesson, await loadGrader(r.lesson)] as const)));
}

/**
 * Exercism's test-runner interface, results.json version 3: each test with its code (the
 * grader test as written in test/graders/, from `graders`) and its task (see tasks.ts).
 */
export function toExercism(run: GradeRun, graders: ReadonlyMap<string, Grader> = new Map(), t?: Translate): object {
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
        name: `${report.lesson} › ${titleOf(t, report.lesson, result)}`,
        status: result.status === 'passed' ? 'pass' : 'fail',
        ...(result.message ? { message: drawnMessage(result, report, t)!.slice(0, 65_535) } : {}),
        ...exercismCode(report.lesson, result, graders.get(report.lesson)),
      })),
    ),
  };
}

function exercismCode(slug: string, result: TestResult, grader: Grader | undefined): { test_code: string; task_id?: number } {
  const test = grader?.tests.find((t) => t.id === result.id);
  if (!test) return { test_code: `// ${slug}: ${result.id} (the grader has no such test)` };
  const task = taskOf(slug, test);
  return { test_code: `// test/graders/${slug}.ts\n${testSource(slug, test)}`, ...(task === undefined ? {} : { task_id: task }) };
}

/**
 * One lesson as a runner's result for GitHub Classroom's grading reporter
 * (classroom-resources/autograding-grading-reporter reads it base64-encoded from the env
 * variable `<RUNNER>_RESULTS` and adds up each test's `score`): partial credit, test by test.
 */
export function toClassroomRunner(report: LessonReport, t?: Translate): object {
  const results = report.results;
  return {
    version: 1,
    status: results.length > 0 && results.every((r) => r.status === 'passed') ? 'pass' : 'fail',
    max_score: maxPointsOf(results),
    tests: results.map((result) => ({
      name: titleOf(t, report.lesson, result),
      status: result.status === 'passed' ? 'pass' : 'fail',
      score: result.status === 'passed' ? result.points : 0,
      ...(result.message ? { message: drawnMessage(result, report, t) } : {}),
      line_no: 0,
      execution_time: `${(result.durationMs / 1000).toFixed(2)}s`,
    })),
  };
}

/** Who sees a Gradescope result: Gradescope's `visibility` values. */
export const visibilities = ['visible', 'hidden', 'after_due_date', 'after_published'] as const;
export type Visibility = (typeof visibilities)[number];

/** Gradescope's autograder results.json; `visibility` applies to the whole result and to each test. */
export function toGradescope(run: GradeRun, visibility: Visibility = 'visible', t?: Translate): object {
  const total = score(run);
  return {
    score: total.points,
    execution_time: Math.round(run.durationMs / 1000),
    output: [
      t ? t('teacher:gradescope.points', { points: total.points, maxPoints: total.maxPoints }) : `${total.points} of ${total.maxPoints} points.`,
      ...run.flags.map((f) => (t ? t('teacher:gradescope.flag', { flag: f }) : `Flag: ${f}`)),
      ...leftOutOf(run).map((left) =>
        t ? t('teacher:gradescope.leftOut', { test: `${left.lesson} › ${left.id}`, why: left.why }) : `Left out (this machine cannot run it, not counted): ${left.lesson} › ${left.id}: ${left.why}`,
      ),
    ].join('\n'),
    visibility,
    stdout_visibility: 'hidden',
    tests: run.reports.flatMap((report) =>
      report.results.map((result) => ({
        name: `${report.lesson} › ${titleOf(t, report.lesson, result)}`,
        number: `${report.lesson.slice(0, 2)}.${report.results.indexOf(result) + 1}`,
        score: result.status === 'passed' ? result.points : 0,
        max_score: result.points,
        status: result.status,
        output: drawnMessage(result, report, t) ?? (t ? t('teacher:gradescope.passed') : 'Passed.'),
        visibility,
      })),
    ),
  };
}

/** Text safe inside XML: the five special characters escaped, characters XML 1.0 forbids dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/**
 * JUnit XML: one `<testsuite>` per lesson (named by its slug), one `<testcase>` per grader test
 * with the time it really took, its failure message in `<failure>`, and each test this machine
 * cannot run as a skipped testcase with the reason. The suite's time is the lesson's wall time.
 */
export function toJunit(run: GradeRun, when = new Date(), t?: Translate): string {
  const all = allResults(run);
  const failed = (results: readonly TestResult[]) => results.filter((r) => r.status === 'failed').length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="comet-workshop" tests="${all.length + leftOutOf(run).length}" failures="${failed(all)}" errors="0" skipped="${leftOutOf(run).length}" time="${seconds(run.durationMs)}">`,
  ];
  for (const report of run.reports) {
    const time = report.durationMs ?? report.results.reduce((sum, r) => sum + r.durationMs, 0);
    lines.push(
      `  <testsuite name="${xml(report.lesson)}" tests="${report.results.length + report.leftOut.length}" failures="${failed(report.results)}" errors="0" skipped="${report.leftOut.length}" time="${seconds(time)}" timestamp="${when.toISOString().slice(0, 19)}" hostname="${xml(hostname())}">`,
    );
    for (const result of report.results) {
      const open = `    <testcase classname="${xml(report.lesson)}" name="${xml(titleOf(t, report.lesson, result))}" time="${seconds(result.durationMs)}"`;
      if (result.status === 'passed') lines.push(`${open}/>`);
      else {
        const message = drawnMessage(result, report, t) ?? 'failed';
        lines.push(`${open}>`, `      <failure message="${xml(message.split('\n')[0]!)}" type="AssertionError">${xml(message)}</failure>`, '    </testcase>');
      }
    }
    for (const test of report.leftOut) {
      lines.push(`    <testcase classname="${xml(report.lesson)}" name="${xml(test.id)}" time="0.000">`, `      <skipped message="${xml(`left out on this machine: ${test.why}`)}"/>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
