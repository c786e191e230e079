/**
 * Text reports for people: one line per test, the teaching message under each failure,
 * and the closing line `N passed, N failed` that CI systems read.
 *
 * @module
 */
import type { Lesson } from '../manifest.ts';
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

export function lessonHeading(lesson: Lesson, where: string, style: Style): string {
  return `${style.bold(`Lesson ${String(lesson.number).padStart(2, '0')} · ${lesson.title}`)}  ${style.dim(`(grading ${where})`)}\n`;
}

export function resultLine(result: TestResult, style: Style): string {
  const mark = result.status === 'passed' ? style.green('✔ pass') : style.red('✘ FAIL');
  let line = `  ${mark}  ${result.title} ${style.dim(`(${result.durationMs} ms)`)}`;
  if (result.message) line += `\n${result.message.replace(/^/gm, '          ')}`;
  return line;
}

export function summaryLine(results: readonly TestResult[], leftOut = 0): string {
  const passed = results.filter((r) => r.status === 'passed').length;
  return `${passed} passed, ${results.length - passed} failed${leftOut > 0 ? `, ${leftOut} left out on this machine` : ''}`;
}

/** A test the grader could not run here, and why: never counted as passed. */
export function leftOutLine(test: { id: string; why: string }): string {
  return `    – left out: ${test.id}: ${test.why}`;
}
