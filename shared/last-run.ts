/**
 * The last `verify` of each lesson, kept in `.workshop/last-run/<slug>.json` (git-ignored) for
 * the site: when it ran, how many tests passed and failed, and each failed test with its
 * message and the recording of its HTTP exchanges (grading/recording.ts), which the lesson page
 * draws. A passing run is kept too (no failures), so the page can say so.
 *
 * Bounded: recordings are already cut for reports (forReport); a file that would still pass
 * {@link LAST_RUN_MAX_BYTES} loses the recordings of its later failures first.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Recording } from './grading/recording.ts';
import type { TestResult } from './grading/types.ts';
import { lessons, type Lesson } from './manifest.ts';
import { workRoot } from './paths.ts';

export interface LastRunFailure {
  readonly id: string;
  readonly title: string;
  readonly message?: string;
  /** What the test's HTTP exchanges were; left out when the file would be too big. */
  readonly timeline?: Recording;
}

export interface LastRun {
  readonly lesson: string;
  /** ISO time the run finished. */
  readonly finishedAt: string;
  /** The language the messages are in (`en`, `zh-CN`). */
  readonly language: string;
  readonly passed: number;
  readonly failed: number;
  readonly failures: readonly LastRunFailure[];
  /** How many failures lost their timeline to the size bound. */
  readonly timelinesLeftOut?: number;
}

/** About 1 MB: the page reads it at once. */
export const LAST_RUN_MAX_BYTES = 1_000_000;

export const lastRunFolder = path.join(workRoot, 'last-run');

/** Where a lesson's last run is kept: only ever called with a manifest lesson's slug. */
export function lastRunFile(lesson: Lesson): string {
  return path.join(lastRunFolder, `${lesson.slug}.json`);
}

/** The last run as written: failures in order, timelines of the later ones dropped while the text passes `maxBytes`. */
export function lastRunOf(lesson: Lesson, results: readonly TestResult[], language: string, finishedAt = new Date(), maxBytes = LAST_RUN_MAX_BYTES): LastRun {
  const failing = results.filter((result) => result.status === 'failed');
  const failures: LastRunFailure[] = failing.map(({ id, title, message, timeline }) => ({ id, title, ...(message === undefined ? {} : { message }), ...(timeline ? { timeline } : {}) }));
  const run = (left: number): LastRun => ({
    lesson: lesson.slug,
    finishedAt: finishedAt.toISOString(),
    language,
    passed: results.length - failing.length,
    failed: failing.length,
    failures,
    ...(left > 0 ? { timelinesLeftOut: left } : {}),
  });
  let left = 0;
  for (let index = failures.length - 1; index >= 0 && Buffer.byteLength(JSON.stringify(run(left))) > maxBytes; index--) {
    if (!failures[index]!.timeline) continue;
    const { timeline: _dropped, ...rest } = failures[index]!;
    failures[index] = rest;
    left += 1;
  }
  return run(left);
}

/** Writes the lesson's last run (atomically: a temporary file, then a rename). */
export function writeLastRun(lesson: Lesson, results: readonly TestResult[], language: string): void {
  mkdirSync(lastRunFolder, { recursive: true });
  const file = lastRunFile(lesson);
  writeFileSync(`${file}.tmp`, JSON.stringify(lastRunOf(lesson, results, language)));
  renameSync(`${file}.tmp`, file);
}

/** The lesson's last run, or undefined when it has none (or the file cannot be read as one). */
export function readLastRun(lesson: Lesson): LastRun | undefined {
  try {
    const run = JSON.parse(readFileSync(lastRunFile(lesson), 'utf8')) as LastRun;
    return run && typeof run === 'object' && run.lesson === lesson.slug && Array.isArray(run.failures) ? run : undefined;
  } catch {
    return undefined;
  }
}

/** The slugs of the lessons that have a last run, in the manifest's order. */
export function lessonsWithLastRun(): string[] {
  return lessons.filter((lesson) => existsSync(lastRunFile(lesson))).map((lesson) => lesson.slug);
}

/** Forgets the lesson's last run (a reset starts the lesson again from nothing). */
export function clearLastRun(lesson: Lesson): void {
  rmSync(lastRunFile(lesson), { force: true });
}
