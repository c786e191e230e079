/**
 * Which code is graded. A target is `lessons` (the learner's, the default), `solutions`
 * (the reference), or any folder: one holding lesson folders (`DIR/01-naive-polling/`), a
 * single lesson folder, or a whole copy of the workshop repository (`DIR/lessons/…`, also
 * one level further down, as Gradescope's `/autograder/submission/<repo>/lessons/`), whose
 * `lessons/` is then graded. Code outside the project is copied under `.workshop/` first, so
 * that its `import express from 'express'` finds the workshop's own packages, and so that
 * grading never writes into a submission.
 *
 * @module
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lessons, type Lesson } from '../manifest.ts';
import { isInside, lessonsRoot, projectRoot, solutionsRoot, workRoot } from '../paths.ts';
import type { Mutant } from './types.ts';

function isDirectory(candidate: string): boolean {
  return existsSync(candidate) && statSync(candidate).isDirectory();
}

/** A folder that holds lesson folders (`01-naive-polling/`, …) or one lesson's files. */
function holdsLessons(folder: string): boolean {
  return lessons.some((lesson) => isDirectory(path.join(folder, lesson.slug)) || existsSync(path.join(folder, lesson.files[0]!)));
}

/** A target that does not exist (or is not a folder): grading it would only score 0. */
export class MissingTarget extends Error {
  constructor(readonly folder: string) {
    super(`No folder ${folder} to grade.`);
  }
}

/**
 * Where the lessons of a submission folder are: the folder itself when it holds lesson folders
 * (or one lesson's files); else its `lessons/`; else the `lessons/` of its only subfolder that
 * has one (a repository inside the submission, as Gradescope and zip files deliver it).
 * A folder with none of these is returned as it is (every lesson then says what is missing).
 */
export function findLessons(folder: string): string {
  if (holdsLessons(folder)) return folder;
  if (isDirectory(path.join(folder, 'lessons'))) return path.join(folder, 'lessons');
  const nested = readdirSync(folder)
    .filter((name) => name !== 'node_modules' && !name.startsWith('.'))
    .map((name) => path.join(folder, name))
    .filter((child) => isDirectory(child))
    .flatMap((child) => (isDirectory(path.join(child, 'lessons')) ? [path.join(child, 'lessons')] : holdsLessons(child) ? [child] : []));
  return nested.length === 1 ? nested[0]! : folder;
}

/**
 * Turns `--target` into the folder that holds lesson folders (or the lesson folder itself).
 * Throws MissingTarget for a folder that does not exist.
 */
export function targetRoot(target = 'lessons'): string {
  if (target === 'lessons') return lessonsRoot;
  if (target === 'solutions') return solutionsRoot;
  const folder = path.resolve(target);
  if (!isDirectory(folder)) throw new MissingTarget(folder);
  return findLessons(folder);
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
