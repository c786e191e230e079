/**
 * Every lesson text leads to its tests: `test/graders/<lesson>.trace.md` is a table from each
 * behaviour sentence of the lesson's README to the grader tests that check it. This proves
 * the table and the grader agree — every test id the trace names exists in the grader, and
 * every grader test is named by the trace at least once — and that every lesson has one.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGrader } from '../../shared/grading/graders.ts';
import { lessons } from '../../shared/manifest.ts';
import { projectRoot } from '../../shared/paths.ts';

const traceOf = (slug: string) => path.join(projectRoot, 'test', 'graders', `${slug}.trace.md`);

/** The rows of a trace's table: the sentence, and the test ids (in backticks) of its last cell. */
function rowsOf(file: string): Array<{ sentence: string; ids: string[] }> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line) && !/^\|\s*sentence/i.test(line))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).slice(1, -1);
      return { sentence: cells.slice(0, -1).join('|').trim(), ids: [...(cells.at(-1) ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!) };
    });
}

describe('traces from the lesson texts to the tests', () => {
  it('every lesson has a trace', () => {
    for (const lesson of lessons) expect(existsSync(traceOf(lesson.slug)), traceOf(lesson.slug)).toBe(true);
  });

  for (const lesson of lessons.filter((l) => existsSync(traceOf(l.slug)))) {
    it(`${lesson.slug}: every row names real tests, and every test is named`, async () => {
      const grader = await loadGrader(lesson.slug);
      const testIds = grader.tests.map((t) => t.id);
      // A test this machine cannot run (the grader says why) still exists: the trace may name it.
      const leftOut = (grader.leftOut ?? []).map((t) => t.id);
      if (process.env.CI === 'true') expect(leftOut, 'tests left out under CI=true, where every test must run').toEqual([]);
      const rows = rowsOf(traceOf(lesson.slug));
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.ids.length, `"${row.sentence}" names no test: a gap to close or a sentence to delete`).toBeGreaterThan(0);
        for (const id of row.ids) expect([...testIds, ...leftOut], `"${row.sentence}" names ${id}`).toContain(id);
      }
      const named = new Set(rows.flatMap((row) => row.ids));
      expect(testIds.filter((id) => !named.has(id)), 'grader tests no sentence of the trace leads to').toEqual([]);
    });
  }
});
