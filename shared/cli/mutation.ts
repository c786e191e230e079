/**
 * `npm run mutation [-- N ...] [--lang en|zh-CN]`: StrykerJS mutation testing of the graders. For each lesson it
 * mutates the reference solution's files and grades every mutant with `npm run verify`; a
 * mutant the grader does not fail has survived, and shows a gap in the grader (or is
 * equivalent: a change no contract can see). Reports go to .workshop/mutation/.
 *
 * It uses Stryker's command runner, not its vitest runner: the graders run lesson code in
 * child processes, and only the command runner hands the active mutant to those processes
 * (through the __STRYKER_ACTIVE_MUTANT__ environment variable the instrumented code reads).
 * Slow — every mutant is a whole grading — so it is not part of `npm test`.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findLesson, lessons } from '../manifest.ts';
import { projectRoot, workRoot } from '../paths.ts';
import { parseCommand } from './args.ts';
import { lessonList } from './verify.ts';

// Before Stryker loads (a second or two): --help and wrong arguments answer at once.
const command = parseCommand(process.argv.slice(2), {
  options: {},
  maxPositionals: lessons.length,
  helpVerb: true,
  usage: (t) => t('cli:mutation.usage', { lessons: lessonList(t) }),
});
const { t } = command;
const chosen = command.positionals.map((key) => findLesson(key) ?? command.fail(t('cli:noLesson', { key })));
const { Stryker } = await import('@stryker-mutator/core');

/**
 * What to mutate in a solution file: the learner's part only — the lines of the solution
 * that differ from the starter (git's line diff). Code the starter hands out complete (the
 * JSON error handlers, lesson 01's validation in later lessons, lesson 03's holding in
 * lesson 04) says nothing about how well the graders check the learner's work.
 */
function learnersLines(slug: string, file: string): string[] {
  const diff = spawnSync('git', ['diff', '--no-index', '-U0', '--no-color', path.join('lessons', slug, file), path.join('solutions', slug, file)], {
    cwd: projectRoot,
    encoding: 'utf8',
  }).stdout;
  const ranges: string[] = [];
  for (const [, start, count] of diff.matchAll(/^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/gm)) {
    const lines = count === undefined ? 1 : Number(count);
    if (lines > 0) ranges.push(`solutions/${slug}/${file}:${start}-${Number(start) + lines - 1}`);
  }
  return ranges;
}

const summary: string[] = [];

for (const lesson of chosen.length > 0 ? chosen : lessons) {
  const started = performance.now();
  const files = lesson.files.flatMap((file) => learnersLines(lesson.slug, file));
  const stryker = new Stryker({
    mutate: files,
    testRunner: 'command',
    // --bail: a mutant is detected at its first failed test; only survivors cost a whole grading.
    commandRunner: { command: `npx tsx shared/cli/verify.ts ${lesson.number} --target solutions --bail` },
    coverageAnalysis: 'off',
    concurrency: 2,
    timeoutMS: 60_000,
    disableTypeChecks: `solutions/${lesson.slug}/**/*.ts`,
    // A mutant is detected when the lesson's grader fails it: verify exits non-zero.
    tempDirName: '.workshop/stryker-tmp',
    ignorePatterns: ['dist', 'test-results', 'data', '.workshop'],
    reporters: ['clear-text', 'json'],
    jsonReporter: { fileName: path.join(workRoot, 'mutation', `${lesson.slug}.json`) },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  });
  const results = await stryker.runMutationTest();
  const detected = results.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
  const counted = results.filter((m) => m.status !== 'Ignored' && m.status !== 'CompileError').length;
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  summary.push(t('cli:mutation.line', { slug: lesson.slug, detected, counted, percent: ((detected / counted) * 100).toFixed(1), minutes }));
}
console.log(`\n${t('cli:mutation.heading')}\n${summary.join('\n')}`);
