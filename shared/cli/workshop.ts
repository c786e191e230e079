/**
 * The learner's CLI: `npm run workshop -- <verb> [--lang en|zh-CN]`.
 *
 *     list              every lesson with its state, and a progress bar
 *     verify [N]        grade lesson N (default: the current one, the first not passed)
 *     watch [N]         grade again on every save; move on when it passes
 *                       (keys: h hint, l list, r or Enter grade again, q quit)
 *     hint [N] [k]      the next hint (after a failing verify: first what that test says to look at)
 *     reset N [--yes]   restore the starter of lesson N from the project's pristine copy, keeping a backup of yours
 *     solution N [--force]   the reference solution as a diff against yours (lesson texts left out), once lesson N passes
 *     help              the verbs
 *
 * Every message comes from the catalog (shared/i18n), in the language of --lang, else of
 * LC_ALL / LC_MESSAGES / LANG. Colours only on a terminal, never with NO_COLOR.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, watch } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { lessonHints, lessonText, type Translate } from '../i18n/index.ts';
import { lessonFolder } from '../grading/targets.ts';
import { localizeMessage, styleFor } from '../grading/report.ts';
import { findLesson, lessons, type Lesson } from '../manifest.ts';
import { lessonsRoot, projectRoot, solutionsRoot, workRoot } from '../paths.ts';
import { isLessonText, pristineFile, restoreStarter } from '../pristine.ts';
import { clearLastRun } from '../last-run.ts';
import { clearProgress, readHintsShown, readProgress, recordHintsShown } from '../progress.ts';
import { padColumns } from '../columns.ts';
import { parseCommand, runMain, UsageError } from './args.ts';
import { lessonReadme, verify } from './verify.ts';

const style = styleFor(process.stdout);

const command = parseCommand(process.argv.slice(2), {
  options: { yes: { type: 'boolean', default: false }, force: { type: 'boolean', default: false } },
  maxPositionals: 3,
  helpVerb: true,
  usage: (t) => t('cli:workshop.usage'),
});
const { t, values, positionals } = command;

/** The first lesson not passed yet (the last one when all are). */
function currentLesson(): Lesson {
  const progress = readProgress();
  return lessons.find((l) => progress[l.slug]?.status !== 'passed') ?? lessons.at(-1)!;
}

function lessonArgument(raw: string | undefined): Lesson {
  if (raw === undefined) return currentLesson();
  const lesson = findLesson(raw);
  if (!lesson) throw new UsageError(t('cli:noLessonList', { key: raw, lessons: lessons.map((l) => `${l.number} (${l.slug})`).join(', ') }));
  return lesson;
}

const title = (lesson: Lesson): string => lessonText(t, lesson, 'title');

function list(): void {
  const progress = readProgress();
  const passed = lessons.filter((l) => progress[l.slug]?.status === 'passed').length;
  const width = 30;
  const filled = Math.round((passed / lessons.length) * width);
  console.log(`${style.green('█'.repeat(filled))}${style.dim('░'.repeat(width - filled))}  ${t('cli:list.passed', { passed, count: lessons.length })}\n`);
  const current = currentLesson();
  for (const lesson of lessons) {
    const state = progress[lesson.slug];
    const label = !state
      ? style.dim(t('cli:list.notStarted'))
      : state.status === 'passed'
        ? style.green(t('cli:list.passedState'))
        : style.red(t('cli:list.failing', { passed: state.passed, total: state.passed + state.failed }));
    const marker = lesson === current ? '→' : ' ';
    console.log(`${marker} ${String(lesson.number).padStart(2, '0')}  ${padColumns(title(lesson), 46)} ${label}`);
  }
  console.log(`\n${t('cli:list.next', { command: style.bold(`npm run workshop -- verify ${current.number}`), readme: lessonReadme(current, t) })}`);
}

function hint(lesson: Lesson, which: string | undefined): void {
  const shown = readHintsShown()[lesson.slug] ?? 0;
  const failure = readProgress()[lesson.slug]?.lastFailure;
  if (which === undefined && shown === 0 && failure) {
    console.log(`${t('cli:hint.lastFailure', { number: lesson.number })}\n\n${localizeMessage(failure, t)}\n`);
    console.log(style.dim(t('cli:hint.again', { number: lesson.number })));
    recordHintsShown(lesson.slug, 0.5);
    return;
  }
  const hints = lessonHints(t, lesson);
  const count = hints.length;
  if (which === undefined && Math.floor(shown) >= count) {
    console.log(
      t('cli:hint.allSeen', {
        count,
        number: lesson.number,
        again: style.bold(`npm run hint -- ${lesson.number} <1-${count}>`),
        verify: style.bold(`npm run verify -- ${lesson.number}`),
      }),
    );
    return;
  }
  if (which !== undefined && !(Number(which) >= 1 && Number(which) <= count)) {
    console.log(t('cli:hint.noSuchHint', { number: lesson.number, count, which }));
    process.exitCode = 2;
    return;
  }
  const index = which === undefined ? Math.floor(shown) + 1 : Number(which);
  console.log(`${t('cli:hint.heading', { number: lesson.number, title: title(lesson), index, count })}\n\n${hints[index - 1]}`);
  recordHintsShown(lesson.slug, Math.max(shown, index));
  console.log(style.dim(`\n${index < count ? t('cli:hint.next', { number: lesson.number }) : t('cli:hint.last')}`));
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question} ${t('cli:reset.yesNo')} `);
  rl.close();
  return /^(y(es)?|是|好)$/i.test(answer.trim());
}

/**
 * Restores the starter from the project's own pristine copy (shared/pristine/, see
 * shared/pristine.ts) — no git needed, and never from a remote that may hold the learner's
 * own work — after backing up the learner's folder; then forgets the lesson's progress.
 */
async function reset(lesson: Lesson, yes: boolean): Promise<void> {
  const folder = path.join(lessonsRoot, lesson.slug);
  if (!existsSync(pristineFile(lesson.slug))) {
    console.error(t('cli:reset.noPristine', { slug: lesson.slug, file: path.relative(projectRoot, pristineFile(lesson.slug)) }));
    process.exitCode = 1;
    return;
  }
  if (!yes && !(await confirm(t('cli:reset.question', { slug: lesson.slug })))) {
    console.log(t('cli:reset.nothingChanged'));
    return;
  }
  let backup: string | undefined;
  if (existsSync(folder)) {
    backup = path.join(workRoot, 'backups', `${lesson.slug}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(path.dirname(backup), { recursive: true });
    cpSync(folder, backup, { recursive: true });
  }
  restoreStarter(lesson.slug, folder);
  clearProgress(lesson.slug);
  clearLastRun(lesson);
  console.log(t('cli:reset.done', { slug: lesson.slug, file: path.relative(projectRoot, pristineFile(lesson.slug)) }));
  if (backup) console.log(t('cli:reset.backup', { backup: `${path.relative(projectRoot, backup)}/` }));
  console.log(t('cli:reset.progressCleared', { number: lesson.number }));
}

/** The files of a lesson folder, relative to it, lesson texts (README*.md) left out. */
function codeFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return (readdirSync(folder, { recursive: true, withFileTypes: true }) as Array<{ name: string; parentPath: string; isFile(): boolean }>)
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((relative) => !isLessonText(relative) && !relative.split('/').includes('node_modules'))
    .sort();
}

/** The reference against the learner's code, file by file with git's diff; the lesson texts are not code, so not shown. */
function solution(lesson: Lesson, force: boolean): void {
  if (!force && readProgress()[lesson.slug]?.status !== 'passed') {
    console.log(t('cli:solution.notYet', { number: lesson.number }));
    process.exitCode = 1;
    return;
  }
  const mine = path.join('lessons', lesson.slug);
  const theirs = path.join('solutions', lesson.slug);
  const files = [...new Set([...codeFiles(path.join(projectRoot, mine)), ...codeFiles(path.join(projectRoot, theirs))])].sort();
  const colour = style.bold('x') === 'x' ? 'never' : 'always';
  let differing = 0;
  for (const file of files) {
    const a = existsSync(path.join(projectRoot, mine, file)) ? path.join(mine, file) : '/dev/null';
    const b = existsSync(path.join(projectRoot, theirs, file)) ? path.join(theirs, file) : '/dev/null';
    // git's diff works on any two files, in a repository or not; the learner's version first.
    const run = spawnSync('git', ['--no-pager', 'diff', '--no-index', `--color=${colour}`, a, b], { cwd: projectRoot, encoding: 'utf8' });
    if (run.error) {
      console.error(t('cli:solution.noGit', { folder: theirs }));
      process.exitCode = 1;
      return;
    }
    if (run.stdout) {
      differing++;
      process.stdout.write(run.stdout);
    }
  }
  if (differing === 0) console.log(t('cli:solution.same', { number: lesson.number }));
}

async function watchLesson(start: Lesson): Promise<void> {
  let lesson = start;
  let running = false;
  let again = false;
  /** Keys pressed while grading act once it is done, so their output is not mixed into the report. */
  const queued: Array<() => void> = [];
  const footer = (): void => console.log(style.dim(`\n${t('cli:watch.footer', { folder: `lessons/${lesson.slug}/` })}`));
  const clear = (): void => void (process.stdout.isTTY && process.stdout.write('\u001bc'));
  const grade = async (): Promise<void> => {
    if (running) return void (again = true);
    running = true;
    clear();
    const passed = await verify(lesson, 'lessons', false, t);
    running = false;
    // verify() has said what comes next (one pointer, not two); watch simply follows it.
    if (passed) {
      const next = lessons.find((l) => l.number === lesson.number + 1);
      if (!next) return;
      lesson = next;
    }
    for (const action of queued.splice(0)) action();
    footer();
    if (again) {
      again = false;
      void grade();
    }
  };
  const act = (action: () => void): void => {
    if (running) queued.push(action);
    else {
      action();
      footer();
    }
  };
  const onKey = (key: string): void => {
    if (key === 'q' || key === '\u0003') process.exit(0);
    else if (key === 'h') act(() => hint(lesson, undefined));
    else if (key === 'l') act(list);
    else if (key === 'r' || key === '\r' || key === '\n' || key === '') void grade();
  };
  let timer: NodeJS.Timeout | undefined;
  // Editors save in bursts (a temp file, a rename): wait for the burst to end.
  const onChange = (_event: string, file: string | null): void => {
    if (file && !/\.(ts|md)$/.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => void grade(), 150);
  };
  for (const l of lessons) watch(lessonFolder(l, 'lessons'), { recursive: false }, (event, file) => l === lesson && onChange(event, file));
  // Keys, as rustlings has them; also the manual fallback where file events are unreliable
  // (network or container file systems). A terminal gives single keys; a pipe, lines.
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', (key: Buffer) => onKey(key.toString()));
  } else {
    createInterface({ input: process.stdin }).on('line', (line) => onKey(line.trim().toLowerCase().slice(0, 1)));
  }
  await grade();
}

runMain(async () => {
  const [verb, ...rest] = positionals;
  const maxArguments: Record<string, number> = { list: 0, verify: 1, watch: 1, hint: 2, reset: 1, solution: 1 };
  if (verb !== undefined && !(verb in maxArguments)) throw new UsageError(t('cli:workshop.unknownVerb', { verb }));
  if (rest.length > (maxArguments[verb ?? 'list'] ?? 0)) throw new UsageError(t('cli:args.unexpected', { argument: rest.at(-1) }));
  if (values.yes && verb !== 'reset') throw new UsageError(t('cli:args.onlyWith', { option: '--yes', verb: 'reset' }));
  if (values.force && verb !== 'solution') throw new UsageError(t('cli:args.onlyWith', { option: '--force', verb: 'solution' }));
  switch (verb) {
    case undefined:
    case 'list':
      return list();
    case 'verify':
      return (await verify(lessonArgument(rest[0]), 'lessons', false, t)) ? 0 : 1;
    case 'watch':
      return watchLesson(lessonArgument(rest[0]));
    case 'hint':
      return hint(lessonArgument(rest[0]), rest[1]);
    case 'reset':
      if (!rest[0]) throw new UsageError(t('cli:workshop.needsLesson', { verb: 'reset' }));
      return reset(lessonArgument(rest[0]), values.yes);
    case 'solution': {
      if (!rest[0]) throw new UsageError(t('cli:workshop.needsLesson', { verb: 'solution' }));
      const lesson = lessonArgument(rest[0]);
      if (!existsSync(path.join(solutionsRoot, lesson.slug))) throw new UsageError(t('cli:solution.none', { slug: lesson.slug }));
      return solution(lesson, values.force);
    }
  }
}, command);
