/**
 * `npm run verify -- <N|slug> [--target lessons|solutions|DIR] [--bail]`
 *
 * Grades one lesson: each test with pass or fail and, for a failure, what was expected,
 * what happened and where to look; then `N passed, N failed`. Exits 0 only when every
 * test passed.
 *
 * @module
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findLesson, lessons, type Lesson } from '../manifest.ts';
import { projectRoot } from '../paths.ts';
import { leftOutLine, lessonHeading, resultLine, styleFor, summaryLine } from '../grading/report.ts';
import { gradeLesson } from '../grading/runner.ts';
import { lessonFolder } from '../grading/targets.ts';
import { readProgress, recordProgress } from '../progress.ts';

const usage = `Usage: npm run verify -- <lesson number or slug> [--target lessons|solutions|DIR] [--bail]

  --bail   stop at the first failed test

Lessons:
${lessons.map((l) => `  ${l.number}  ${l.slug}  ${l.title}`).join('\n')}`;

/** Grades one lesson of `target`, printing as it goes; true when every test passed. */
export async function verify(lesson: Lesson, target = 'lessons', bail = false): Promise<boolean> {
  const folder = lessonFolder(lesson, target);
  const style = styleFor(process.stdout);
  console.log(lessonHeading(lesson, path.relative(projectRoot, folder) || folder, style));
  const report = await gradeLesson(lesson, folder, { bail, onResult: (result) => console.log(resultLine(result, style)) });
  for (const test of report.leftOut) console.log(style.dim(leftOutLine(test)));
  const summary = summaryLine(report.results, report.leftOut.length);
  const allPassed = report.results.every((r) => r.status === 'passed');
  console.log(`\n${allPassed ? style.green(summary) : style.red(summary)}`);
  // A bailed run graded only part of the lesson: it is not progress to record.
  if (target === 'lessons' && !bail) {
    const failing = report.results.filter((r) => r.status === 'failed');
    recordProgress(lesson.slug, report.results.length - failing.length, failing.length, failing[0]?.message);
    if (!allPassed) console.log(style.dim(`Stuck? npm run hint -- ${lesson.number}`));
    else console.log(whatNext(lesson));
  }
  return allPassed;
}

/** After `lesson` passed: the next lesson, or — after the last — what is still open, if anything. */
export function whatNext(lesson: Lesson): string {
  const next = lessons.find((l) => l.number === lesson.number + 1);
  if (next) return `Lesson ${lesson.number} done. Next: lessons/${next.slug}/README.md`;
  const progress = readProgress();
  const open = lessons.filter((l) => progress[l.slug]?.status !== 'passed');
  if (open.length === 0) return 'That was the last lesson, and every lesson passes. Well done.';
  const state = (l: Lesson) => (progress[l.slug] ? `failing, ${progress[l.slug]!.passed}/${progress[l.slug]!.passed + progress[l.slug]!.failed}` : 'not verified yet');
  return (
    `That was the last lesson. Still open:\n${open.map((l) => `  ${l.number}  ${l.title} (${state(l)}): npm run verify -- ${l.number}`).join('\n')}`
  );
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { target: { type: 'string', default: 'lessons' }, bail: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const lesson = findLesson(positionals[0]!);
  if (!lesson) {
    console.error(`No lesson "${positionals[0]}".\n\n${usage}`);
    return 2;
  }
  try {
    lessonFolder(lesson, values.target);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  return (await verify(lesson, values.target, values.bail)) ? 0 : 1;
}

// Run as a script (npm run verify), not when imported by the workshop CLI.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 70;
    },
  );
}
