/**
 * The pristine starters: every lesson's starter files exactly as the workshop ships them, kept
 * in the project itself (`shared/pristine/<slug>.json`, tracked), so that `reset N` can restore
 * a lesson with no git at all — a zip download, a Gradescope or Classroom copy, a repository
 * whose `origin` is the learner's own (GitHub Classroom: origin/HEAD holds the learner's work,
 * not the starter). The lesson texts (`README*.md` at the top of a lesson folder) are not part
 * of it: the learner does not edit them, and translations come and go without touching the
 * starters.
 *
 * The copy is generated (`npm run pristine`) from `lessons/` as published, and a meta-test
 * (test/meta/pristine.test.ts) fails when the two drift apart: change a starter, run
 * `npm run pristine`, commit both. JSON rather than a second tree of .ts files, so that the
 * copy is never type-checked, linted, bundled or counted as duplicated code.
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './paths.ts';

export const pristineRoot = path.join(projectRoot, 'shared', 'pristine');

/** A lesson text, not a starter file: `README.md`, `README.zh-CN.md`… at the top of the lesson folder. */
export function isLessonText(relative: string): boolean {
  return !relative.includes('/') && /^README(\.[\w-]+)?\.md$/.test(relative);
}

/** The starter files of a lesson folder, by path relative to it ('/'-separated), sorted, lesson texts left out. */
export function starterFiles(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(folder, relative), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.name === 'node_modules' || isLessonText(name)) continue;
      if (entry.isDirectory()) walk(name);
      else if (entry.isFile()) files[name] = readFileSync(path.join(folder, name), 'utf8');
    }
  };
  walk('');
  return files;
}

export function pristineFile(slug: string): string {
  return path.join(pristineRoot, `${slug}.json`);
}

/** The pristine starter of a lesson, or undefined when the project has none for it. */
export function readPristine(slug: string): Record<string, string> | undefined {
  const file = pristineFile(slug);
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { files: Record<string, string> }).files;
}

export function writePristine(slug: string, files: Record<string, string>): void {
  mkdirSync(pristineRoot, { recursive: true });
  const body = { lesson: slug, generatedBy: 'npm run pristine (from lessons/; README*.md left out)', files };
  writeFileSync(pristineFile(slug), `${JSON.stringify(body, null, 2)}\n`);
}

/**
 * Makes `folder` the pristine starter of `slug` again: every entry but the lesson texts is
 * removed, then the starter's files are written. Throws when the project has no pristine copy.
 */
export function restoreStarter(slug: string, folder: string): void {
  const files = readPristine(slug);
  if (!files) throw new Error(`no pristine starter for ${slug} (${path.relative(projectRoot, pristineFile(slug))})`);
  mkdirSync(folder, { recursive: true });
  for (const entry of readdirSync(folder)) {
    if (!isLessonText(entry)) rmSync(path.join(folder, entry), { recursive: true, force: true });
  }
  for (const [relative, text] of Object.entries(files)) {
    const target = path.join(folder, ...relative.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}
