/**
 * Every lesson's failures are drawn: for one curated mutant of each lesson, the test named to
 * catch it fails with its requests on a timeline, the moment the grader expected something
 * marked, in the report a learner reads and in every platform's output.
 */
import { describe, expect, it } from 'vitest';
import { toGradescope, toJunit } from '../../shared/grading/formats.ts';
import { loadMutants } from '../../shared/grading/graders.ts';
import { resultLine, styleFor } from '../../shared/grading/report.ts';
import { gradeLesson } from '../../shared/grading/runner.ts';
import { stageMutant } from '../../shared/grading/targets.ts';
import { findLesson } from '../../shared/manifest.ts';

/** A mistake per lesson whose failure is a matter of requests over time. */
const drawnMutants: Record<string, string> = {
  '01-naive-polling': 'only-latest',
  '02-held-requests': 'answers-at-once',
  '03-timeouts': 'no-timeout',
  '04-resume': 'greater-or-equal',
  '05-chat': 'offline-between-polls',
  '06-bayeux': 'never-holds',
  '07-relay': 'poll-never-held',
  '08-event-stream': 'no-catch-up',
  '09-scale-out': 'broker-down-500',
};

const plain = styleFor({ isTTY: false } as NodeJS.WriteStream);

describe.each(Object.entries(drawnMutants))('lesson %s: mutant %s is caught with its timeline drawn', (slug, mutantId) => {
  it('the failing test carries a recording, and every report draws it with the expected moment marked', { timeout: 120_000 }, async () => {
    const lesson = findLesson(slug)!;
    const mutant = (await loadMutants(slug)).find((m) => m.id === mutantId)!;
    expect(mutant, `test/mutants/${slug}.ts has no mutant ${mutantId}`).toBeDefined();
    const report = await gradeLesson(lesson, stageMutant(lesson, mutant), { only: [mutant.caughtBy] });
    const result = report.results[0]!;
    expect(result.status, `${mutant.caughtBy} must catch ${mutantId}`).toBe('failed');
    expect(result.timeline?.exchanges.length, `${mutant.caughtBy}'s failure has no recorded exchange`).toBeGreaterThan(0);
    expect(result.timeline?.expected, 'the moment the grader expected something').toBeDefined();

    const text = resultLine(result, plain);
    const drawn = text.slice(text.indexOf('timeline'));
    expect(drawn, text).toMatch(/^timeline\s+\d+ ms ·+ \d+ ms/);
    expect(drawn).toMatch(/\^/);
    expect(drawn).toMatch(/expected at \d+ ms: /);
    const lines = drawn.split('\n');
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(80);

    const run = { reports: [report], durationMs: 1, flags: [] };
    const gradescope = toGradescope(run) as { tests: Array<{ output: string }> };
    expect(gradescope.tests[0]!.output).toContain('expected at');
    expect(toJunit(run)).toContain('expected at');
  });
});
