/**
 * `npm run classroom -- <verb>`: the classroom platforms' files, made from the workshop itself.
 *
 * - `workflow [--check]`: writes shared/classroom/github-classroom.yml from the manifest and
 *   the graders (workflow.ts); with --check, only says whether the committed one is current
 *   (exit 1 when not).
 * - `github-step [--target DIR] [--lesson N] [--out DIR]`: the grading step of that workflow.
 *   Grades once, test by test; writes `<out>/results.json`, `<out>/junit.xml` and
 *   `<out>/report.txt`; appends the points table to $GITHUB_STEP_SUMMARY and each lesson's
 *   runner result (partial credit per test) to $GITHUB_OUTPUT, for Classroom's reporter.
 * - `gradescope-zip [--out FILE] [--visibility V] [--lesson N] [--report LANG]`: the Gradescope
 *   autograder archive (gradescope.ts); V is Gradescope's visible, hidden, after_due_date or
 *   after_published; LANG (en, zh-CN) the language of the results students see.
 *
 * Exit 0 when done, 2 on wrong arguments (one line, no stack trace).
 *
 * @module
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { score, toClassroomRunner, toJson, toJunit, toText, visibilities, type Visibility } from '../grading/formats.ts';
import { gradeSubmission } from '../grading/submission.ts';
import { MissingTarget } from '../grading/targets.ts';
import { languageFor, languages, resolveLanguage, translator } from '../i18n/index.ts';
import { findLesson, lessons } from '../manifest.ts';
import { projectRoot } from '../paths.ts';
import { gradescopeZip } from './gradescope.ts';
import { generateWorkflow, runnerOf } from './workflow.ts';

const t = translator(languageFor(undefined, process.env));
const plain = { bold: String, dim: String, green: String, red: String };
export const workflowPath = path.join(projectRoot, 'shared', 'classroom', 'github-classroom.yml');

class Usage extends Error {}

function lessonOption(value: string | undefined) {
  if (value === undefined) return undefined;
  const lesson = findLesson(value);
  if (!lesson) throw new Usage(t('teacher:classroom.noLesson', { given: value, lessons: lessons.map((l) => l.number).join(', ') }));
  return lesson;
}

async function workflow(check: boolean): Promise<number> {
  const text = await generateWorkflow();
  const current = (() => {
    try {
      return readFileSync(workflowPath, 'utf8');
    } catch {
      return '';
    }
  })();
  if (check) {
    console.log(t(current === text ? 'teacher:workflow.current' : 'teacher:workflow.stale', { file: path.relative(process.cwd(), workflowPath) }));
    return current === text ? 0 : 1;
  }
  writeFileSync(workflowPath, text);
  console.log(t('teacher:workflow.written', { file: path.relative(process.cwd(), workflowPath) }));
  return 0;
}

async function githubStep(target: string, lessonArg: string | undefined, out: string): Promise<number> {
  const lesson = lessonOption(lessonArg);
  const run = await gradeSubmission(target, lesson ? [lesson] : lessons);
  mkdirSync(out, { recursive: true });
  const table = toText(run, plain, t);
  writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(toJson(run), null, 2)}\n`);
  writeFileSync(path.join(out, 'junit.xml'), toJunit(run, new Date(), t));
  writeFileSync(path.join(out, 'report.txt'), table);
  process.stdout.write(table);
  if (process.env.GITHUB_STEP_SUMMARY) {
    const { points, maxPoints } = score(run);
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, `### ${t('teacher:classroom.summary', { points, maxPoints })}\n\n\`\`\`text\n${table}\`\`\`\n`);
  }
  if (process.env.GITHUB_OUTPUT) {
    const outputs = run.reports.map((report) => {
      const graded = lessons.find((l) => l.slug === report.lesson)!;
      return `${runnerOf(graded)}=${Buffer.from(JSON.stringify(toClassroomRunner(report, t))).toString('base64')}\n`;
    });
    appendFileSync(process.env.GITHUB_OUTPUT, outputs.join(''));
  }
  return 0;
}

function zipFor(out: string, visibilityArg: string, lessonArg: string | undefined, langArg: string | undefined): number {
  const visibility = visibilityArg as Visibility;
  if (!visibilities.includes(visibility)) throw new Usage(t('teacher:visibility.wrong', { given: visibilityArg, choices: visibilities.join(', ') }));
  const lesson = lessonOption(lessonArg);
  const language = langArg === undefined ? undefined : resolveLanguage(langArg);
  if (langArg !== undefined && !language) throw new Usage(t('teacher:classroom.noLanguage', { given: langArg, languages: languages.join(', ') }));
  const archive = gradescopeZip({ visibility, lesson, language });
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, archive);
  console.log(t('teacher:gradescope.written', { file: out, kb: Math.round(archive.length / 1024), visibility, language: language ?? 'en', lessons: lesson ? lesson.slug : t('teacher:gradescope.everyLesson') }));
  return 0;
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      check: { type: 'boolean', default: false },
      target: { type: 'string', default: 'lessons' },
      lesson: { type: 'string' },
      out: { type: 'string' },
      visibility: { type: 'string', default: 'visible' },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [verb, ...extra] = positionals;
  if (values.help || verb === 'help' || verb === undefined) {
    console.log(t('teacher:classroom.usage'));
    return verb === undefined && !values.help ? 2 : 0;
  }
  if (extra.length > 0) throw new Usage(t('teacher:classroom.extra', { extra: extra.join(' ') }));
  if (verb === 'workflow') return workflow(values.check);
  if (verb === 'github-step') return githubStep(values.target, values.lesson, values.out ?? '.grading');
  if (verb === 'gradescope-zip') return zipFor(values.out ?? 'gradescope-autograder.zip', values.visibility, values.lesson, values.report);
  throw new Usage(t('teacher:classroom.unknownVerb', { verb }));
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof MissingTarget) console.error(t('teacher:target.missing', { target: error.folder, folder: error.folder }));
    else if (error instanceof Usage || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\n${t('teacher:classroom.usage')}`);
    } else {
      console.error(error);
      process.exitCode = 70;
      return;
    }
    process.exitCode = 2;
  },
);
