/**
 * `npm run mutation [-- N ...]`: StrykerJS mutation testing of the graders. For each lesson it
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
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Stryker } from '@stryker-mutator/core';
import { findLesson, lessons } from '../manifest.ts';
import { projectRoot, workRoot } from '../paths.ts';

/**
 * What to mutate in a solution file: the learner's part only. Code below a `// Given:`
 * comment is handed out complete with the starter (the JSON error handlers), so its
 * mutants say nothing about how well the graders check the learner's work.
 */
function learnersLines(file: string): string {
  const lines = readFileSync(path.join(projectRoot, file), 'utf8').split('\n');
  const given = lines.findIndex((line) => line.startsWith('// Given:'));
  return given === -1 ? file : `${file}:1-${given}`;
}

const chosen = process.argv.slice(2).map((key) => findLesson(key) ?? (console.error(`No lesson "${key}".`), process.exit(2)));
const summary: string[] = [];

for (const lesson of chosen.length > 0 ? chosen : lessons) {
  const started = performance.now();
  const files = lesson.files.map((file) => learnersLines(`solutions/${lesson.slug}/${file}`));
  const stryker = new Stryker({
    mutate: files,
    testRunner: 'command',
    commandRunner: { command: `npx tsx shared/cli/verify.ts ${lesson.number} --target solutions` },
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
  summary.push(`${lesson.slug}: ${detected}/${counted} mutants detected (${((detected / counted) * 100).toFixed(1)}%), ${minutes} min`);
}
console.log(`\nMutation score of the graders on the reference solutions:\n${summary.join('\n')}`);
