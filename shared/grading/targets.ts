/**
 * Which code is graded. A target is `lessons` (the learner's, the default), `solutions`
 * (the reference), or any folder: either one holding lesson folders (`DIR/01-naive-polling/`)
 * or a single lesson folder. Code outside the project is copied under `.workshop/` first, so
 * that its `import express from 'express'` finds the workshop's own packages, and so that
 * grading never writes into a submission.
 *
 * @module
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Lesson } from '../manifest.ts';
import { isInside, lessonsRoot, projectRoot, solutionsRoot, workRoot } from '../paths.ts';
import type { Mutant } from './types.ts';

/** Turns `--target` into the folder that holds lesson folders (or the lesson folder itself). */
export function targetRoot(target = 'lessons'): string {
  if (target === 'lessons') return lessonsRoot;
  if (target === 'solutions') return solutionsRoot;
  return path.resolve(target);
}

function isDirectory(candidate: string): boolean {
  return existsSync(candidate) && statSync(candidate).isDirectory();
}

/**
 * The folder to grade for `lesson` in `target`, copied into the project when it lies outside.
 * Throws an Error whose message a learner can act on when nothing is found.
 */
export function lessonFolder(lesson: Lesson, target = 'lessons'): string {
  const root = targetRoot(target);
  const nested = path.join(root, lesson.slug);
  let folder: string;
  if (isDirectory(nested)) folder = nested;
  else if (lesson.files.every((file) => existsSync(path.join(root, file)))) folder = root;
  else {
    throw new Error(
      `No lesson ${lesson.slug} in ${root}: expected a folder ${lesson.slug}/ there, ` +
        `or the lesson's files (${lesson.files.join(', ')}) directly in it.`,
    );
  }
  return isInside(folder, projectRoot) ? folder : stageCopy(folder, lesson.slug);
}

function stageCopy(folder: string, slug: string): string {
  const stagingRoot = path.join(workRoot, 'staged');
  mkdirSync(stagingRoot, { recursive: true });
  const copy = path.join(mkdtempSync(path.join(stagingRoot, 'target-')), slug);
  cpSync(folder, copy, { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) });
  return copy;
}

/** Applies one mutant's edits to a fresh copy of the solution; returns the copy's lesson folder. */
export function stageMutant(lesson: Lesson, mutant: Mutant): string {
  const folder = path.join(workRoot, 'mutants', lesson.slug, mutant.id, lesson.slug);
  cpSync(path.join(solutionsRoot, lesson.slug), folder, { recursive: true });
  for (const edit of mutant.edits) {
    const file = path.join(folder, edit.file);
    const source = readFileSync(file, 'utf8');
    const count = source.split(edit.find).length - 1;
    if (count !== 1) {
      throw new Error(
        `Mutant ${lesson.slug}/${mutant.id}: the text to replace occurs ${count} times in ` +
          `solutions/${lesson.slug}/${edit.file} (it must occur exactly once):\n${edit.find}`,
      );
    }
    writeFileSync(file, source.replace(edit.find, () => edit.replace));
  }
  return folder;
}
