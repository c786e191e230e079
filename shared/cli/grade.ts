/**
 * `npm run grade -- [--target lessons|solutions|DIR] [--lesson N] [--format text|json|exercism|gradescope|junit] [--out FILE] [--visibility V]`
 * `npm run grade -- --batch DIR [--out FOLDER] [--jobs N] [--lesson N]`
 * `npm run grade -- --help [--lang en|zh-CN]`: the usage (so does -h); a wrong option: one line, the usage, exit 2 (args.ts)
 *
 * Grades every lesson (or one) of one target and writes a report in the chosen format; or,
 * with --batch, every submission folder in DIR (each a copy of a learner's lessons/, or of the
 * whole repository), a few at a time, writing one JSON report per submission and a CSV
 * gradebook. A target folder may be a whole repository: its `lessons/` is found (targets.ts).
 * `--visibility` (Gradescope's visible, hidden, after_due_date, after_published) goes into the
 * gradescope report. It exits 0 when grading ran, whatever the scores (platforms read the
 * report, not the exit code), and 2 on wrong arguments, a --target or --batch folder that does
 * not exist included.
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gradersOf, score, toExercism, toGradescope, toJson, toJunit, toText, visibilities, type GradeRun, type Visibility } from '../grading/formats.ts';
import { styleFor } from '../grading/report.ts';
import { gradeSubmission } from '../grading/submission.ts';
import { MissingTarget, targetRoot } from '../grading/targets.ts';
import { languageFor, translator, type Translate } from '../i18n/index.ts';
import { findLesson, lessons, type Lesson } from '../manifest.ts';
import { projectRoot } from '../paths.ts';
import { parseCommand } from './args.ts';

const formats = ['text', 'json', 'exercism', 'gradescope', 'junit'] as const;
type Format = (typeof formats)[number];

async function render(run: GradeRun, format: Format, visibility: Visibility): Promise<string> {
  if (format === 'text') return toText(run, styleFor(process.stdout), teacher);
  if (format === 'junit') return toJunit(run, new Date(), teacher);
  const body = format === 'json' ? toJson(run) : format === 'exercism' ? toExercism(run, await gradersOf(run), teacher) : toGradescope(run, visibility, teacher);
  return `${JSON.stringify(body, null, 2)}\n`;
}

function write(text: string, out: string | undefined): void {
  if (!out) return void process.stdout.write(text);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, text);
}

const csvField = (value: string | number): string => (/[",\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value));

async function batch(dir: string, out: string, jobs: number, only: readonly Lesson[]): Promise<void> {
  const submissions = readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort();
  const runs = new Map<string, GradeRun>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < submissions.length) {
      const name = submissions[next++]!;
      // --jobs submissions at once already keep the cores busy: each grades its tests one after another.
      const run = await gradeSubmission(path.join(dir, name), only, undefined, { parallel: 1 });
      runs.set(name, run);
      writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify(toJson(run), null, 2)}\n`);
      const { points, maxPoints } = score(run);
      console.log(`${name}: ${points}/${maxPoints}${run.flags.length ? `  (${run.flags.length} flag${run.flags.length > 1 ? 's' : ''})` : ''}`);
    }
  };
  mkdirSync(out, { recursive: true });
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  const header = ['submission', ...only.map((l) => l.slug), 'points', 'max_points', 'flags'];
  const rows = submissions.map((name) => {
    const run = runs.get(name)!;
    const perLesson = only.map((lesson) => {
      const results = run.reports.find((r) => r.lesson === lesson.slug)?.results ?? [];
      return results.reduce((sum, r) => sum + (r.status === 'passed' ? r.points : 0), 0);
    });
    const { points, maxPoints } = score(run);
    return [name, ...perLesson, points, maxPoints, run.flags.join(' | ')];
  });
  writeFileSync(path.join(out, 'gradebook.csv'), [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n');
  console.log(`\nGradebook: ${path.join(out, 'gradebook.csv')}`);
}

/**
 * Teacher-facing messages (the `teacher` namespace) and the platform reports' test names, in the
 * command's language: --lang, else LC_ALL, LC_MESSAGES, LANG. Set by main() once the arguments are read.
 */
let teacher: Translate = translator(languageFor(undefined, process.env));

/**
 * The folder a target names, checked before anything is graded: a target that does not exist
 * fails loudly (exit 2) instead of grading nothing and reporting 0 points; an existing folder
 * with no lessons in it is graded (every lesson says what is missing) with a warning.
 */
function checkTarget(target: string): boolean {
  try {
    const root = targetRoot(target);
    if (target !== 'lessons' && target !== 'solutions' && root !== path.resolve(target)) console.error(teacher('teacher:target.found', { target, root }));
    return true;
  } catch (error) {
    if (!(error instanceof MissingTarget)) throw error;
    console.error(teacher('teacher:target.missing', { target, folder: error.folder }));
    return false;
  }
}

async function main(): Promise<number> {
  const { values, t } = parseCommand(process.argv.slice(2), {
    options: {
      target: { type: 'string', default: 'lessons' },
      lesson: { type: 'string' },
      format: { type: 'string', default: 'text' },
      out: { type: 'string' },
      batch: { type: 'string' },
      jobs: { type: 'string', default: '2' },
      visibility: { type: 'string', default: 'visible' },
    },
    usage: (t) => t('cli:grade.usage', { formats: formats.join(', ') }),
  });
  teacher = t;
  const lesson = values.lesson === undefined ? undefined : findLesson(values.lesson);
  if (values.lesson !== undefined && !lesson) {
    console.error(`No lesson "${values.lesson}". Lessons: ${lessons.map((l) => l.number).join(', ')}`);
    return 2;
  }
  const only = lesson ? [lesson] : lessons;
  if (values.batch) {
    if (!existsSync(values.batch) || !statSync(values.batch).isDirectory()) {
      console.error(teacher('teacher:batch.missing', { folder: path.resolve(values.batch) }));
      return 2;
    }
    await batch(path.resolve(values.batch), path.resolve(values.out ?? `${values.batch.replace(/\/+$/, '')}-graded`), Number(values.jobs), only);
    return 0;
  }
  const format = values.format as Format;
  if (!formats.includes(format)) {
    console.error(`--format must be one of: ${formats.join(', ')}`);
    return 2;
  }
  const visibility = values.visibility as Visibility;
  if (!visibilities.includes(visibility)) {
    console.error(teacher('teacher:visibility.wrong', { given: visibility, choices: visibilities.join(', ') }));
    return 2;
  }
  if (!checkTarget(values.target)) return 2;
  const run = await gradeSubmission(values.target, only);
  write(await render(run, format, visibility), values.out);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 70;
  },
);
