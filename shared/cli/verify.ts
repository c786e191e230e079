/**
 * `npm run verify -- <N|slug> [--target lessons|solutions|DIR] [--bail] [--lang en|zh-CN]`
 *
 * Grades one lesson: each test with pass or fail and, for a failure, what was expected,
 * what happened and where to look; then `N passed, N failed`. Exits 0 only when every
 * test passed. In another language than English the frame is translated and the last line
 * is still the English `N passed, N failed`, for scripts (see grading/report.ts).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lessonText, translator, type Translate } from '../i18n/index.ts';
import { findLesson, lessons, type Lesson } from '../manifest.ts';
import { projectRoot } from '../paths.ts';
import { leftOutLine, lessonHeading, localizeResult, resultPrinter, styleFor, summaryLines } from '../grading/report.ts';
import { loadGrader } from '../grading/graders.ts';
import { gradeLesson } from '../grading/runner.ts';
import { lessonFolder } from '../grading/targets.ts';
import { writeLastRun } from '../last-run.ts';
import { readProgress, recordProgress } from '../progress.ts';
import { parseCommand, runMain } from './args.ts';

/** The lessons, one a line, for usages. */
export function lessonList(t: Translate): string {
  return lessons.map((l) => `  ${l.number}  ${l.slug}  ${lessonText(t, l, 'title')}`).join('\n');
}

/** The lesson's text in the learner's language when it has one (README.<lang>.md), else README.md. */
export function lessonReadme(lesson: Lesson, t: Translate): string {
  const language = t('cli:languageTag');
  const translated = `lessons/${lesson.slug}/README.${language}.md`;
  return language !== 'en' && existsSync(path.join(projectRoot, translated)) ? translated : `lessons/${lesson.slug}/README.md`;
}

/** Grades one lesson of `target`, printing as it goes; true when every test passed. */
export async function verify(lesson: Lesson, target = 'lessons', bail = false, t: Translate = translator('en')): Promise<boolean> {
  const folder = lessonFolder(lesson, target);
  const style = styleFor(process.stdout);
  console.log(lessonHeading(lesson, path.relative(projectRoot, folder) || folder, style, t));
  const grader = await loadGrader(lesson.slug);
  const print = resultPrinter(style, t, lesson.slug, grader.tests);
  const report = await gradeLesson(lesson, folder, { bail, onResult: (result) => console.log(print(result)) });
  for (const test of report.leftOut) console.log(style.dim(leftOutLine(test, t)));
  const allPassed = report.results.every((r) => r.status === 'passed');
  const colour = allPassed ? style.green : style.red;
  const [first, ...rest] = summaryLines(report.results, report.leftOut.length, t);
  console.log(`\n${colour(first!)}`);
  for (const line of rest) console.log(line);
  // A bailed run graded only part of the lesson: it is not progress to record.
  if (target === 'lessons' && !bail) {
    // Worded as this run printed them: the progress file's first failure, and the failures the site's lesson page draws.
    const worded = report.results.map((result) => localizeResult(result, t, lesson.slug, grader.tests.find((test) => test.id === result.id)));
    const failing = worded.filter((r) => r.status === 'failed');
    recordProgress(lesson.slug, report.results.length - failing.length, failing.length, failing[0]?.message);
    writeLastRun(lesson, worded, t('cli:languageTag'));
    if (!allPassed) console.log(style.dim(t('cli:verify.stuck', { number: lesson.number })));
    else console.log(whatNext(lesson, t));
  }
  return allPassed;
}

/** After `lesson` passed: the next lesson, or — after the last — what is still open, if anything. */
export function whatNext(lesson: Lesson, t: Translate = translator('en')): string {
  const next = lessons.find((l) => l.number === lesson.number + 1);
  if (next) return t('cli:verify.next', { number: lesson.number, readme: lessonReadme(next, t) });
  const progress = readProgress();
  const open = lessons.filter((l) => progress[l.slug]?.status !== 'passed');
  if (open.length === 0) return t('cli:verify.allDone');
  const state = (l: Lesson) => {
    const p = progress[l.slug];
    return p ? t('cli:verify.failingState', { passed: p.passed, total: p.passed + p.failed }) : t('cli:verify.notVerified');
  };
  const lines = open.map((l) => t('cli:verify.openLine', { number: l.number, title: lessonText(t, l, 'title'), state: state(l) }));
  return `${t('cli:verify.stillOpen')}\n${lines.join('\n')}`;
}

// Run as a script (npm run verify), not when imported by the workshop CLI.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const command = parseCommand(process.argv.slice(2), {
    options: { target: { type: 'string', default: 'lessons' }, bail: { type: 'boolean', default: false } },
    maxPositionals: 1,
    helpVerb: true,
    usage: (t) => t('cli:verify.usage', { lessons: lessonList(t) }),
  });
  const { values, positionals, t } = command;
  runMain(async () => {
    if (positionals.length !== 1) command.fail(t('cli:verify.needsLesson'));
    const lesson = findLesson(positionals[0]!) ?? command.fail(t('cli:noLesson', { key: positionals[0] }));
    try {
      lessonFolder(lesson, values.target);
    } catch (error) {
      command.fail((error as Error).message);
    }
    return (await verify(lesson, values.target, values.bail, t)) ? 0 : 1;
  }, command);
}
