/**
 * `npm run verify -- <N|slug> [--target lessons|solutions|DIR]`
 *
 * Grades one lesson: each test with pass or fail and, for a failure, what was expected,
 * what happened and where to look; then `N passed, N failed`. Exits 0 only when every
 * test passed.
 *
 * @module
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findLesson, lessons } from '../manifest.ts';
import { projectRoot } from '../paths.ts';
import { lessonHeading, resultLine, styleFor, summaryLine } from '../grading/report.ts';
import { gradeLesson } from '../grading/runner.ts';
import { lessonFolder } from '../grading/targets.ts';
import { recordProgress } from '../progress.ts';

const usage = `Usage: npm run verify -- <lesson number or slug> [--target lessons|solutions|DIR]

Lessons:
${lessons.map((l) => `  ${l.number}  ${l.slug}  ${l.title}`).join('\n')}`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { target: { type: 'string', default: 'lessons' }, help: { type: 'boolean', short: 'h' } },
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
  let folder: string;
  try {
    folder = lessonFolder(lesson, values.target);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const style = styleFor(process.stdout);
  console.log(lessonHeading(lesson, path.relative(projectRoot, folder) || folder, style));
  const report = await gradeLesson(lesson, folder, { onResult: (result) => console.log(resultLine(result, style)) });
  const summary = summaryLine(report.results);
  const allPassed = report.results.every((r) => r.status === 'passed');
  const passed = report.results.filter((r) => r.status === 'passed').length;
  if (values.target === 'lessons') recordProgress(lesson.slug, passed, report.results.length - passed);
  console.log(`\n${allPassed ? style.green(summary) : style.red(summary)}`);
  if (!allPassed && values.target === 'lessons') {
    console.log(style.dim(`Stuck? npm run hint -- ${lesson.number}`));
  } else if (allPassed && values.target === 'lessons') {
    const next = lessons.find((l) => l.number === lesson.number + 1);
    console.log(next ? `Lesson ${lesson.number} done. Next: lessons/${next.slug}/README.md` : 'That was the last lesson. Well done.');
  }
  return allPassed ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 70;
  },
);
