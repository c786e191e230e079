/**
 * Where things are in the project. Everything else asks here instead of building paths.
 *
 * @module
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's top folder (the one holding package.json). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The learner's folder: what they read and edit. */
export const lessonsRoot = path.join(projectRoot, 'lessons');

/** The reference solutions, mirroring `lessons/`. */
export const solutionsRoot = path.join(projectRoot, 'solutions');

/** The workshop's own working files (git-ignored): staged submissions, mutants, progress. */
export const workRoot = path.join(projectRoot, '.workshop');

/** The grader of a lesson: `test/graders/<slug>.ts`. */
export function graderPath(slug: string): string {
  return path.join(projectRoot, 'test', 'graders', `${slug}.ts`);
}

/** The curated mutants of a lesson: `test/mutants/<slug>.ts`. */
export function mutantsPath(slug: string): string {
  return path.join(projectRoot, 'test', 'mutants', `${slug}.ts`);
}

/** True when `child` is `parent` or inside it. */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
