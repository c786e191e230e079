/**
 * The Gradescope autograder archive: `setup.sh` and `run_autograder` at its root (as Gradescope
 * asks), `gradescope.env` with the assignment's settings (visibility, one lesson or all), and
 * the workshop files grading needs — package files, shared/, the graders, the reference
 * solutions (a grader uses lesson 04's client) — never node_modules or a learner's lessons/.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Visibility } from '../grading/formats.ts';
import type { Language } from '../i18n/index.ts';
import type { Lesson } from '../manifest.ts';
import { projectRoot } from '../paths.ts';
import { zip, type ZipEntry } from './zip.ts';

/** What goes into the archive from the project, besides the two scripts at its root. */
const included = ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'docs/teaching.md', 'shared', 'test/graders', 'solutions'];
const skipped = new Set(['node_modules', '.workshop', 'data', 'dist']);

function filesUnder(relative: string): string[] {
  const full = path.join(projectRoot, relative);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full)
    .filter((name) => !skipped.has(name) && !name.startsWith('.'))
    .sort()
    .flatMap((name) => filesUnder(path.posix.join(relative, name)));
}

export interface GradescopeOptions {
  readonly visibility: Visibility;
  /** Grade only this lesson (an assignment per lesson); every lesson when absent. */
  readonly lesson?: Lesson;
  /** The language of the results students read (test names, the summary); the environment's when absent. */
  readonly language?: Language;
}

/** The settings run_autograder reads. */
export function gradescopeEnv({ visibility, lesson, language }: GradescopeOptions): string {
  return [
    '# Written by `npm run classroom -- gradescope-zip`; read by run_autograder.',
    `GRADESCOPE_VISIBILITY=${visibility}`,
    ...(lesson ? [`GRADE_LESSON=${lesson.number}`] : []),
    ...(language ? [`GRADE_LANG=${language}`] : []),
    '',
  ].join('\n');
}

/** The archive's entries: the scripts at the root (executable), the settings, the workshop. */
export function gradescopeEntries(options: GradescopeOptions): ZipEntry[] {
  const scripts = path.join(projectRoot, 'shared', 'classroom', 'gradescope');
  return [
    { name: 'setup.sh', data: readFileSync(path.join(scripts, 'setup.sh')), mode: 0o755 },
    { name: 'run_autograder', data: readFileSync(path.join(scripts, 'run_autograder')), mode: 0o755 },
    { name: 'gradescope.env', data: Buffer.from(gradescopeEnv(options)) },
    ...included.flatMap(filesUnder).map((file) => {
      const mode = statSync(path.join(projectRoot, file)).mode & 0o777;
      return { name: file, data: readFileSync(path.join(projectRoot, file)), mode: mode & 0o111 ? 0o755 : 0o644 };
    }),
  ];
}

export function gradescopeZip(options: GradescopeOptions): Buffer {
  return zip(gradescopeEntries(options));
}
