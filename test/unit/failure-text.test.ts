/**
 * A failure's words in 简体中文 (shared/grading/failure-text.ts): every sentence of every grader,
 * filled with stand-in values, comes back as its own translation with those values, and so does
 * every phrase where a phrase goes (inside a sentence) — so no other template takes a text that
 * is not its own; a sentence built around a phrase is read as that sentence, never as the phrase
 * swallowing the rest; and the report puts the parts of a whole message (lines running on, a step
 * inside a sentence, the log under it) in their places.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { failureGroups, groupTemplates } from '../../shared/grading/failure-templates.ts';
import { failureCatalogFile, readFailureCatalog, translateFailureText, type TemplateKind } from '../../shared/grading/failure-text.ts';
import { framed } from '../../shared/grading/failure.ts';
import { localizeMessage } from '../../shared/grading/report.ts';
import { translator } from '../../shared/i18n/index.ts';

const WHERE = 'shared/grading/failure-text.ts (the matching) and shared/i18n/locales/zh-CN/failures/';
const fill = (template: string, value: (index: number) => string): string => template.replace(/\{\{(\d+)\}\}/g, (_, n: string) => value(Number(n)));
const catalog = (group: string, kind: TemplateKind = 'sentences'): Record<string, string> => readFailureCatalog(failureCatalogFile('zh-CN', group))[kind];

describe('a failure sentence in 简体中文', () => {
  it.each(failureGroups().filter((group) => group !== 'shared').flatMap((group) => [[group, 'sentences'], [group, 'phrases']] as const))('%s: every one of its %s, filled, becomes its own translation', (slug, kind) => {
    const translations = { ...catalog('shared', kind), ...catalog(slug, kind) };
    const templates = [...groupTemplates(slug)[kind], ...groupTemplates('shared')[kind]];
    const wrong: string[] = [];
    for (const template of templates) {
      // Stand-ins a template's own text never holds, and no template matches on its own.
      const value = (index: number): string => `⟦${index}⟧`;
      const text = fill(template, value);
      const got = translateFailureText('zh-CN', slug, text, kind);
      const want = fill(translations[template]!, value);
      if (got !== want) wrong.push(`${JSON.stringify(text)}\n    gave ${JSON.stringify(got)}\n    want ${JSON.stringify(want)}`);
    }
    expect(wrong, `Each text should come back as its own template's translation. Look at ${WHERE}:\n${wrong.slice(0, 8).join('\n')}`).toEqual([]);
  });

  it('a sentence built around a phrase is that sentence with the phrase inside, not the phrase swallowing the rest', () => {
    const slug = '09-scale-out';
    const sentence = 'the poll held on process A answered within 5000 ms';
    const want = fill(catalog(slug)['{{0}} answered within {{1}} ms']!, (index) => (index === 0 ? fill(catalog(slug, 'phrases')['the poll held on process {{0}}']!, () => 'A') : '5000'));
    expect(translateFailureText('zh-CN', slug, sentence), `Look at ${WHERE}`).toBe(want);
  });

  it('English stays as it is, and a sentence no template matches stays English', () => {
    expect(translateFailureText('en', '01-naive-polling', 'status 201 (Created)')).toBe('status 201 (Created)');
    expect(translateFailureText('zh-CN', '01-naive-polling', 'a sentence no grader says ⟦0⟧')).toBe('a sentence no grader says ⟦0⟧');
  });

  it('a message: every part translated, the Got part over several lines, a step inside a sentence, the log heading, the log as it was', () => {
    const zh = translator('zh-CN');
    const step = 'reading GET /messages';
    const timeout = `${framed({ expected: 'the test to finish within 3000 ms.', actual: `it was still ${step} when the time ran out.`, look: 'server.ts: push the new message onto the array that GET /messages sends.' })}\nYour code logged this while the test ran (console.error):\nTypeError: x is not a function`;
    const lines = localizeMessage(timeout, zh, '01-naive-polling').split('\n');
    const shared = catalog('shared');
    const lesson = catalog('01-naive-polling', 'phrases');
    expect(lines[0], `the Expected line. Look at ${WHERE}`).toBe(`${zh('grading:expected')}${fill(shared['the test to finish within {{0}} ms.']!, () => '3000')}`);
    expect(lines[1], 'the Got line, with the step translated inside it').toBe(`${zh('grading:got')}${fill(shared['it was still {{0}} when the time ran out.']!, () => lesson[step]!)}`);
    expect(lines[2], 'the Look line').toBe(`${zh('grading:look')}${catalog('01-naive-polling')['server.ts: push the new message onto the array that GET /messages sends.']}`);
    expect(lines.slice(3), 'the log heading translated, the log itself as the code printed it').toEqual([zh('grading:logged'), 'TypeError: x is not a function']);
    const output = framed({ expected: 'the lesson code to run without throwing.', actual: 'Error: boom\n          at createApp (server.ts:3:9)', look: 'server.ts' });
    const withStack = localizeMessage(output, zh, '01-naive-polling').split('\n');
    expect(withStack.slice(1, 3), 'a Got part over two lines keeps both').toEqual([`${zh('grading:got')}Error: boom`, '          at createApp (server.ts:3:9)']);
  });
});
