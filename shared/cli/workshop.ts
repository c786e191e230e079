/**
 * The learner's CLI: `npm run workshop -- <verb>`.
 *
 *     list              every lesson with its state, and a progress bar
 *     verify [N]        grade lesson N (default: the current one, the first not passed)
 *     watch [N]         grade again on every save; move on when it passes (Enter: grade now, q: quit)
 *     hint [N] [k]      the next hint (after a failing verify: first what that test says to look at)
 *     reset N [--yes]   restore the starter of lesson N, keeping a backup of yours
 *     solution N [--force]   show the reference solution next to yours, once lesson N passes
 *
 * Colours only on a terminal, never with NO_COLOR.
 *
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, watch } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { lessonFolder } from '../grading/targets.ts';
import { styleFor } from '../grading/report.ts';
import { findLesson, lessons, type Lesson } from '../manifest.ts';
import { lessonsRoot, projectRoot, solutionsRoot, workRoot } from '../paths.ts';
import { readHintsShown, readProgress, recordHintsShown } from '../progress.ts';
import { verify } from './verify.ts';

const style = styleFor(process.stdout);

/** The first lesson not passed yet (the last one when all are). */
function currentLesson(): Lesson {
  const progress = readProgress();
  return lessons.find((l) => progress[l.slug]?.status !== 'passed') ?? lessons.at(-1)!;
}

function lessonArgument(raw: string | undefined): Lesson {
  if (raw === undefined) return currentLesson();
  const lesson = findLesson(raw);
  if (!lesson) throw new UsageError(`No lesson "${raw}". Lessons: ${lessons.map((l) => `${l.number} (${l.slug})`).join(', ')}`);
  return lesson;
}

class UsageError extends Error {}

function list(): void {
  const progress = readProgress();
  const passed = lessons.filter((l) => progress[l.slug]?.status === 'passed').length;
  const width = 30;
  const filled = Math.round((passed / lessons.length) * width);
  console.log(`${style.green('█'.repeat(filled))}${style.dim('░'.repeat(width - filled))}  ${passed}/${lessons.length} lessons passed\n`);
  const current = currentLesson();
  for (const lesson of lessons) {
    const state = progress[lesson.slug];
    const label = !state ? style.dim('not started') : state.status === 'passed' ? style.green('passed') : style.red(`failing (${state.passed}/${state.passed + state.failed})`);
    const marker = lesson === current ? '→' : ' ';
    console.log(`${marker} ${String(lesson.number).padStart(2, '0')}  ${lesson.title.padEnd(46)} ${label}`);
  }
  console.log(`\nNext: ${style.bold(`npm run workshop -- verify ${current.number}`)}  (lessons/${current.slug}/README.md)`);
}

function hint(lesson: Lesson, which: string | undefined): void {
  const shown = readHintsShown()[lesson.slug] ?? 0;
  const failure = readProgress()[lesson.slug]?.lastFailure;
  if (which === undefined && shown === 0 && failure) {
    console.log(`Your last verify of lesson ${lesson.number} failed here:\n\n${failure}\n`);
    console.log(style.dim(`Run npm run hint -- ${lesson.number} again for the lesson's own hints, one at a time.`));
    recordHintsShown(lesson.slug, 0.5);
    return;
  }
  const count = lesson.hints.length;
  if (which === undefined && Math.floor(shown) >= count) {
    console.log(
      `You have seen all ${count} hints of lesson ${lesson.number}; there is no next one.\n` +
        `Read one again with ${style.bold(`npm run hint -- ${lesson.number} <1-${count}>`)}, and run ${style.bold(`npm run verify -- ${lesson.number}`)}: ` +
        `each failure says what it expected and where to look. Once the lesson passes, npm run workshop -- solution ${lesson.number} shows the reference.`,
    );
    return;
  }
  if (which !== undefined && !(Number(which) >= 1 && Number(which) <= count)) {
    console.log(`Lesson ${lesson.number} has hints 1 to ${count}; there is no hint "${which}".`);
    process.exitCode = 2;
    return;
  }
  const index = which === undefined ? Math.floor(shown) + 1 : Number(which);
  console.log(`Lesson ${lesson.number} · ${lesson.title} — hint ${index} of ${count}\n\n${lesson.hints[index - 1]}`);
  recordHintsShown(lesson.slug, Math.max(shown, index));
  console.log(style.dim(index < count ? `\nNext hint: npm run hint -- ${lesson.number}` : '\nThat was the last hint of this lesson.'));
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** The starter as the workshop's repository has it: origin's main branch if there is one, else HEAD. */
function pristineRef(): string {
  const origin = spawnSync('git', ['rev-parse', '--verify', '--quiet', 'origin/HEAD'], { cwd: projectRoot });
  return origin.status === 0 ? 'origin/HEAD' : 'HEAD';
}

async function reset(lesson: Lesson, yes: boolean): Promise<void> {
  const folder = path.join(lessonsRoot, lesson.slug);
  if (!yes && !(await confirm(`Replace lessons/${lesson.slug} with the starter? (Yours is backed up first.)`))) {
    console.log('Nothing changed. (Use --yes to skip this question.)');
    return;
  }
  const backup = path.join(workRoot, 'backups', `${lesson.slug}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(path.dirname(backup), { recursive: true });
  cpSync(folder, backup, { recursive: true });
  const ref = pristineRef();
  execFileSync('git', ['checkout', ref, '--', `lessons/${lesson.slug}`], { cwd: projectRoot, stdio: 'inherit' });
  console.log(`Restored lessons/${lesson.slug} from ${ref}. Your version is in ${path.relative(projectRoot, backup)}/.`);
}

function solution(lesson: Lesson, force: boolean): void {
  if (!force && readProgress()[lesson.slug]?.status !== 'passed') {
    console.log(`Lesson ${lesson.number} has not passed yet: solve it first (npm run workshop -- verify ${lesson.number}), or add --force.`);
    process.exitCode = 1;
    return;
  }
  // git's diff works on any two folders; the learner's version first.
  spawnSync('git', ['--no-pager', 'diff', '--no-index', `--color=${style.bold('x') === 'x' ? 'never' : 'always'}`, path.join('lessons', lesson.slug), path.join('solutions', lesson.slug)], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
}

async function watchLesson(start: Lesson): Promise<void> {
  let lesson = start;
  let running = false;
  let again = false;
  const clear = (): void => void (process.stdout.isTTY && process.stdout.write('\u001bc'));
  const grade = async (): Promise<void> => {
    if (running) return void (again = true);
    running = true;
    clear();
    const passed = await verify(lesson);
    running = false;
    // verify() has said what comes next (one pointer, not two); watch simply follows it.
    if (passed) {
      const next = lessons.find((l) => l.number === lesson.number + 1);
      if (!next) return;
      lesson = next;
    }
    console.log(style.dim(`\nWatching lessons/${lesson.slug}/ — save a file to grade again; Enter grades now; q quits.`));
    if (again) {
      again = false;
      void grade();
    }
  };
  let timer: NodeJS.Timeout | undefined;
  // Editors save in bursts (a temp file, a rename): wait for the burst to end.
  const onChange = (_event: string, file: string | null): void => {
    if (file && !/\.(ts|md)$/.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => void grade(), 150);
  };
  for (const l of lessons) watch(lessonFolder(l, 'lessons'), { recursive: false }, (event, file) => l === lesson && onChange(event, file));
  // A manual fallback where file events are unreliable (network or container file systems).
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', (key: Buffer) => {
      const pressed = key.toString();
      if (pressed === 'q' || pressed === '\u0003') process.exit(0);
      if (pressed === '\r' || pressed === '\n') void grade();
    });
  }
  await grade();
}

const USAGE = `npm run workshop -- <verb>  (npm run verify -- N and npm run hint -- N are short for two of them)

  list              every lesson with its state, and a progress bar
  verify [N]        grade lesson N (default: the current one, the first not passed)
  watch [N]         grade again on every save; move on when it passes (Enter: grade now, q: quit)
  hint [N] [k]      the next hint (after a failing verify: first what that test says to look at)
  reset N [--yes]   restore the starter of lesson N, keeping a backup of yours
  solution N [--force]   show the reference solution next to yours, once lesson N passes`;

async function main(args: string[]): Promise<void> {
  // Asking for help never counts as asking for a hint.
  if (args.some((a) => a === '--help' || a === '-h') || args[0] === 'help') return void console.log(USAGE);
  const [verb, ...rest] = args;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const positional = rest.filter((a) => !a.startsWith('--'));
  switch (verb) {
    case undefined:
    case 'list':
      return list();
    case 'verify':
      process.exitCode = (await verify(lessonArgument(positional[0]))) ? 0 : 1;
      return;
    case 'watch':
      return watchLesson(lessonArgument(positional[0]));
    case 'hint':
      return hint(lessonArgument(positional[0]), positional[1]);
    case 'reset':
      if (!positional[0]) throw new UsageError('reset needs a lesson: npm run workshop -- reset 2');
      return reset(lessonArgument(positional[0]), flags.has('--yes'));
    case 'solution':
      if (!positional[0]) throw new UsageError('solution needs a lesson: npm run workshop -- solution 2');
      if (!existsSync(path.join(solutionsRoot, lessonArgument(positional[0]).slug))) throw new UsageError('no solution for that lesson');
      return solution(lessonArgument(positional[0]), flags.has('--force'));
    default:
      throw new UsageError(`Unknown verb "${verb}". Verbs: list, verify, watch, hint, reset, solution.`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = error instanceof UsageError ? 2 : 70;
});
