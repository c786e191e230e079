/**
 * The learner's progress: the outcome of the last `verify` of each lesson, kept in
 * `.workshop/progress.json` (git-ignored, so it survives restarts and `git pull`).
 *
 * @module
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { workRoot } from './paths.ts';

export interface LessonProgress {
  status: 'passed' | 'failing';
  passed: number;
  failed: number;
  /** ISO time of the verify. */
  at: string;
  /** The first failing test's message (what to look at), from the last verify. */
  lastFailure?: string;
}

export type Progress = Record<string, LessonProgress>;

const progressFile = path.join(workRoot, 'progress.json');

export function readProgress(): Progress {
  try {
    return JSON.parse(readFileSync(progressFile, 'utf8')) as Progress;
  } catch {
    return {};
  }
}

/** Records a verify of the learner's lesson (written atomically: temp file, then rename). */
export function recordProgress(slug: string, passed: number, failed: number, lastFailure?: string): void {
  const progress = readProgress();
  progress[slug] = {
    status: failed === 0 ? 'passed' : 'failing',
    passed,
    failed,
    at: new Date().toISOString(),
    ...(lastFailure ? { lastFailure } : {}),
  };
  writeJson(progressFile, progress);
}

const hintsFile = path.join(workRoot, 'hints.json');

/** How many of each lesson's progressive hints the learner has seen. */
export function readHintsShown(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(hintsFile, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

export function recordHintsShown(slug: string, count: number): void {
  writeJson(hintsFile, { ...readHintsShown(), [slug]: count });
}

/** Forgets a lesson's verify and the hints seen: after a reset it starts again from nothing. */
export function clearProgress(slug: string): void {
  const progress = readProgress();
  if (slug in progress) {
    delete progress[slug];
    writeJson(progressFile, progress);
  }
  const hints = readHintsShown();
  if (slug in hints) {
    delete hints[slug];
    writeJson(hintsFile, hints);
  }
}

/** Writes atomically: a temporary file, then a rename. */
function writeJson(file: string, value: unknown): void {
  mkdirSync(workRoot, { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
