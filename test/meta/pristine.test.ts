/**
 * The pristine starters that `npm run workshop -- reset N` restores (shared/pristine/<slug>.json)
 * are the starters of lessons/ as published, file for file (lesson texts left out). Fails when
 * a starter changed and its copy did not: run `npm run pristine` and commit both. (Like the
 * "starter fails" meta-test, it is about the workshop as published: in a learner's checkout with
 * edited lessons it fails by design.)
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lessons } from '../../shared/manifest.ts';
import { lessonsRoot } from '../../shared/paths.ts';
import { isLessonText, readPristine, starterFiles } from '../../shared/pristine.ts';

describe('the pristine starters', () => {
  it.each(lessons.map((l) => [l.slug]))('%s: shared/pristine has exactly the starter in lessons/ (else: npm run pristine)', (slug) => {
    const pristine = readPristine(slug);
    expect(pristine, `shared/pristine/${slug}.json is missing: npm run pristine`).toBeDefined();
    const starter = starterFiles(path.join(lessonsRoot, slug));
    expect(Object.keys(pristine!).sort(), 'the same files').toEqual(Object.keys(starter).sort());
    for (const [file, text] of Object.entries(starter)) expect(pristine![file], `${slug}/${file} differs from its pristine copy: npm run pristine`).toBe(text);
    expect(Object.keys(pristine!).some(isLessonText), 'lesson texts are not part of it').toBe(false);
  });
});
