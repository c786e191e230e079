/**
 * Text reports for people: one line per test, the teaching message under each failure,
 * and the closing line `N passed, N failed` that CI systems read.
 *
 * The frame (marks, headings, labels, the summary) comes from the message catalog in the
 * learner's language; a test's title and where-to-look come from the catalog's `graders`
 * namespace; the grader's own expected/actual sentences stay English (they are built with
 * values inside the graders). Without a translator, or in English, every line is exactly the
 * English it always was. The closing machine line `N passed, N failed` is English in every
 * language: in another language the translated summary comes first and the machine line
 * after it, last, so that scripts and CI parse one format.
 *
 * @module
 */
import { lessonText, testText, translator, type Translate } from '../i18n/index.ts';
import { parseLoadError } from './engine.ts';
import type { Lesson } from '../manifest.ts';
import { renderTimeline } from './timeline-text.ts';
import { labels } from './failure.ts';
import { translateFailureText } from './failure-text.ts';
import type { TestResult } from './types.ts';

export interface Style {
  green(text: string): string;
  red(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const paint = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const plain = (text: string): string => text;

/** Colours only for a terminal, and never with NO_COLOR set (https://no-color.org). */
export function styleFor(stream: NodeJS.WriteStream): Style {
  const colour = stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return colour
    ? { green: paint(32), red: paint(31), dim: paint(2), bold: paint(1) }
    : { green: plain, red: plain, dim: plain, bold: plain };
}

/** A grader test as the report needs it: for its translated title and where-to-look. */
export interface TestInfo {
  readonly id: string;
  readonly title: string;
  readonly look: string;
}

export function lessonHeading(lesson: Lesson, where: string, style: Style, t?: Translate): string {
  if (!t) return `${style.bold(`Lesson ${String(lesson.number).padStart(2, '0')} · ${lesson.title}`)}  ${style.dim(`(grading ${where})`)}\n`;
  const heading = t('grading:heading', { number: String(lesson.number).padStart(2, '0'), title: lessonText(t, lesson, 'title') });
  return `${style.bold(heading)}  ${style.dim(t('grading:where', { where }))}\n`;
}


/**
 * A failure message in the learner's language: the Expected / Got / Look at labels; each
 * part's sentence from the `failures` catalog (failure-text.ts), a part running on over the
 * lines up to the next label or heading; the test's own where-to-look from the `graders`
 * catalog; the engine's headings. What the catalog does not know stays as the grader wrote it.
 * English returns the message unchanged.
 */
export function localizeMessage(message: string, t: Translate | undefined, slug?: string, test?: TestInfo): string {
  if (!t || t('grading:expected') === labels.expected.trim()) return message;
  const language = t('cli:languageTag');
  const out: string[] = [];
  let part: { key: keyof typeof labels; lines: string[] } | undefined;
  const close = (): void => {
    if (!part) return;
    let text = part.lines.join('\n');
    if (part.key === 'look' && test && slug && text === test.look) text = testText(t, slug, test, 'look');
    else if (slug) text = translateFailureText(language, slug, text);
    out.push(`${t(`grading:${part.key}`)}${text}`);
    part = undefined;
  };
  for (const line of message.split('\n')) {
    const label = (Object.entries(labels) as Array<[keyof typeof labels, string]>).find(([, text]) => line.startsWith(text.trimEnd()));
    const heading = line === loggedHeading ? t('grading:logged') : line === lastOutputHeading ? t('grading:lastOutput') : undefined;
    if (label || heading !== undefined) close();
    if (label) part = { key: label[0], lines: [line.slice(label[1].trimEnd().length).trimStart()] };
    else if (heading !== undefined) out.push(heading);
    else if (part) part.lines.push(line);
    else out.push(line);
  }
  close();
  return out.join('\n');
}

const loggedHeading = 'Your code logged this while the test ran (console.error):';
/** runner.ts's heading over the output of a grading process that died. */
const lastOutputHeading = 'Last output of the process:';

/** A result with its title, message and the words of its timeline's expected moment in the language of `t` (as they are without one). */
export function localizeResult(result: TestResult, t: Translate | undefined, slug?: string, test?: TestInfo): TestResult {
  if (!t) return result;
  const expected = result.timeline?.expected;
  return {
    ...result,
    ...(slug && test ? { title: testText(t, slug, test, 'title') } : {}),
    ...(result.message ? { message: localizeMessage(result.message, t, slug, test) } : {}),
    ...(result.timeline && expected && slug ? { timeline: { ...result.timeline, expected: { ...expected, what: translateFailureText(t('cli:languageTag'), slug, expected.what) } } } : {}),
  };
}

export function resultLine(result: TestResult, style: Style, t?: Translate, slug?: string, test?: TestInfo): string {
  result = localizeResult(result, t, slug, test);
  const mark = result.status === 'passed' ? style.green(t ? t('grading:pass') : '✔ pass') : style.red(t ? t('grading:fail') : '✘ FAIL');
  let line = `  ${mark}  ${result.title} ${style.dim(t ? t('grading:duration', { ms: result.durationMs }) : `(${result.durationMs} ms)`)}`;
  if (result.message) line += `\n${result.message.replace(/^/gm, '          ')}`;
  // What happened, drawn: 70 columns, so with the indent a line stays within 80.
  if (result.timeline) line += `\n\n${renderTimeline(result.timeline, 70, { bar: style.dim, marker: style.red }, t).replace(/^/gm, '          ')}`;
  return line;
}

/**
 * Renders results as they come for verify: like resultLine, but a load error of the learner's
 * code (a file that does not compile or throws when imported) is shown once, under a heading
 * of its own, and every test it fails is listed under it as failed because of it.
 */
export function resultPrinter(style: Style, t: Translate | undefined, slug: string, tests: readonly TestInfo[]): (result: TestResult) => string {
  const shown = new Map<string, string>();
  const tr = t ?? translator('en');
  return (result) => {
    const test = tests.find((candidate) => candidate.id === result.id);
    const load = result.status === 'failed' && result.message ? parseLoadError(result.message) : undefined;
    if (!load) return resultLine(result, style, t, slug, test);
    const title = t && test ? testText(t, slug, test, 'title') : result.title;
    const failedLine = `  ${style.red(tr('grading:fail'))}  ${title} ${style.dim(tr('grading:becauseOfLoad', { file: load.file }))}`;
    if (shown.has(result.message!)) return failedLine;
    shown.set(result.message!, load.file);
    const block = [
      style.red(style.bold(`  ✘ ${tr('grading:loadHeading', { file: load.file })}`)),
      load.error.replace(/^/gm, '          '),
      `          ${tr('grading:look')}${tr('grading:loadLook', { file: load.file })}`,
      '',
    ];
    return `${block.join('\n')}\n${failedLine}`;
  };
}

/** The machine line, English in every language: `N passed, N failed[, N left out on this machine]`. */
export function summaryLine(results: readonly TestResult[], leftOut = 0): string {
  const passed = results.filter((r) => r.status === 'passed').length;
  return `${passed} passed, ${results.length - passed} failed${leftOut > 0 ? `, ${leftOut} left out on this machine` : ''}`;
}

/**
 * The closing lines: the summary in the learner's language, then — when that is not already
 * the machine line — the machine line, last.
 */
export function summaryLines(results: readonly TestResult[], leftOut: number, t?: Translate): string[] {
  const machine = summaryLine(results, leftOut);
  if (!t) return [machine];
  const passed = results.filter((r) => r.status === 'passed').length;
  const human = t('grading:summary', { passed, failed: results.length - passed }) + (leftOut > 0 ? t('grading:summaryLeftOut', { n: leftOut }) : '');
  return human === machine ? [machine] : [human, machine];
}

/** A test the grader could not run here, and why: never counted as passed. */
export function leftOutLine(test: { id: string; why: string }, t?: Translate): string {
  return t ? `    ${t('grading:leftOut', { id: test.id, why: test.why })}` : `    – left out: ${test.id}: ${test.why}`;
}
