/**
 * The pristine starters that `npm run workshop -- reset N` restores (shared/pristine/<slug>.json)
 * are the starters of lessons/ as published, file for file (lesson texts left out). Fails when
 * a starter changed and its copy did not: run `npm run pristine` and commit both. (Like the
 * "starter fails" meta-test, it is about the workshop as published: in a learner's checkout with
 * edited lessons it fails by design.)
 */
import { readFileSync } from 'node:fs';
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

const numbers = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

describe('a starter that says how many TODOs it has ("the four TODOs", "TODOs 1 to 4") has them', () => {
  it.each(lessons.flatMap((l) => Object.keys(starterFiles(path.join(lessonsRoot, l.slug))).filter((f) => f.endsWith('.ts')).map((f) => [`${l.slug}/${f}`])))('%s', (file) => {
    const source = readFileSync(path.join(lessonsRoot, file), 'utf8');
    const todos = [...new Set([...source.matchAll(/\bTODO (\d+)\b/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
    const claim = /\bthe (\w+) TODOs\b/i.exec(source)?.[1]?.toLowerCase();
    if (claim !== undefined) expect(todos.length, `${file} says "the ${claim} TODOs"`).toBe(numbers.indexOf(claim) >= 0 ? numbers.indexOf(claim) : Number(claim));
    const range = /\bTODOs (\d+) to (\d+)\b/.exec(source);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      expect(todos, `${file} says "TODOs ${from} to ${to}"`).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i));
    }
  });
});
