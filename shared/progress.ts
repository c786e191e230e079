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
export function recordProgress(slug: string, passed: number, failed: number): void {
  const progress = readProgress();
  progress[slug] = { status: failed === 0 ? 'passed' : 'failing', passed, failed, at: new Date().toISOString() };
  mkdirSync(workRoot, { recursive: true });
  writeFileSync(`${progressFile}.tmp`, `${JSON.stringify(progress, null, 2)}\n`);
  renameSync(`${progressFile}.tmp`, progressFile);
}
