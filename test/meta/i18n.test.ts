/**
 * The message catalog is complete in both languages (issue 19, the contract's "i18n meta-test"):
 * - every keyed namespace (cli, grading, site, teacher) has the same keys in English and 简体中文
 *   (plural forms aside: English has `_one` and `_other`, Chinese only `_other`), with the same
 *   `{{variables}}`, and no empty message;
 * - every key the CLIs and the grading report use exists in English;
 * - every lesson of the manifest has its Chinese text, `lessons/<slug>/README.zh-CN.md`;
 * - the zh `lessons` namespace has every lesson's title, summary and as many hints as the manifest,
 *   and names no lesson that does not exist;
 * - the zh `graders` namespace has a title and a where-to-look for every test of every grader (the
 *   tests this machine leaves out too), and names no lesson or test that does not exist;
 * - the zh `failures` catalog translates every sentence a grader (or shared/grading) fails a test
 *   with and every phrase put into one, with the same {{n}} placeholders, and holds nothing the
 *   code no longer says.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { failureGroups, groupSources, groupTemplates, placeholdersOf } from '../../shared/grading/failure-templates.ts';
import { failureCatalogFile, readFailureCatalog } from '../../shared/grading/failure-text.ts';
import { loadGrader } from '../../shared/grading/graders.ts';
import { keyedNamespaces, resources } from '../../shared/i18n/index.ts';
import { lessons } from '../../shared/manifest.ts';
import { lessonsRoot, projectRoot } from '../../shared/paths.ts';

type Tree = { [key: string]: string | string[] | Tree };

/** Every message of a namespace by its dotted key. */
function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(name, value);
    else if (Array.isArray(value)) value.forEach((item, index) => out.set(`${name}.${index}`, item));
    else for (const [k, v] of flatten(value, name)) out.set(k, v);
  }
  return out;
}

const pluralSuffix = /_(zero|one|two|few|many|other)$/;
const variables = (text: string): string[] => [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]!);

/** Messages grouped by key without its plural form: the union of their variables. */
function byBaseKey(messages: Map<string, string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [key, text] of messages) {
    const base = key.replace(pluralSuffix, '');
    const set = out.get(base) ?? new Set<string>();
    for (const name of variables(text)) set.add(name);
    out.set(base, set);
  }
  return out;
}

describe('keyed namespaces: the same keys and variables in English and 简体中文', () => {
  for (const namespace of keyedNamespaces) {
    const en = byBaseKey(flatten(resources.en[namespace] as Tree));
    const zh = byBaseKey(flatten(resources['zh-CN'][namespace] as Tree));
    it(`${namespace}: every key in both languages`, () => {
      expect([...en.keys()].filter((k) => !zh.has(k)), `keys of ${namespace} missing in zh-CN`).toEqual([]);
      expect([...zh.keys()].filter((k) => !en.has(k)), `keys of ${namespace} missing in en`).toEqual([]);
    });
    it(`${namespace}: the same {{variables}} in both languages`, () => {
      const differing = [...en.keys()]
        .filter((k) => zh.has(k))
        .filter((k) => [...en.get(k)!].sort().join() !== [...zh.get(k)!].sort().join())
        .map((k) => `${k}: en {${[...en.get(k)!].sort()}} zh-CN {${[...zh.get(k)!].sort()}}`);
      expect(differing).toEqual([]);
    });
    it(`${namespace}: no empty message; Chinese plurals use _other only`, () => {
      for (const language of ['en', 'zh-CN'] as const) {
        const empty = [...flatten(resources[language][namespace] as Tree)].filter(([, text]) => text.trim() === '').map(([k]) => k);
        expect(empty, `empty messages in ${language}/${namespace}`).toEqual([]);
      }
      const zhForms = [...flatten(resources['zh-CN'][namespace] as Tree).keys()].filter((k) => pluralSuffix.test(k) && !k.endsWith('_other'));
      expect(zhForms, 'Chinese has one plural form, _other').toEqual([]);
    });
  }
});

describe('the keys the CLIs and the grading report use exist in English', () => {
  const sources = ['shared/cli', 'shared/grading'].flatMap((dir) =>
    readdirSync(path.join(projectRoot, dir))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(projectRoot, dir, f)),
  );
  const used = new Set<string>();
  for (const file of sources) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\bt[r]?\(\s*[`'"]((?:cli|grading):[\w.]+)[`'"]/g)) used.add(match[1]!);
  }
  it('finds the keys (the check itself works)', () => expect(used.size).toBeGreaterThan(40));
  it('every used key has an English message (or its plural forms)', () => {
    const known = new Set<string>();
    for (const namespace of ['cli', 'grading'] as const) for (const key of byBaseKey(flatten(resources.en[namespace] as Tree)).keys()) known.add(`${namespace}:${key}`);
    expect([...used].filter((key) => !known.has(key))).toEqual([]);
  });
});

describe('every lesson has its text in 简体中文', () => {
  it.each(lessons.map((l) => [l.slug]))('lessons/%s/README.zh-CN.md', (slug) => {
    expect(existsSync(path.join(lessonsRoot, slug, 'README.zh-CN.md'))).toBe(true);
  });

  // A line break inside a paragraph is a soft break, which a browser shows as a space: between
  // two Chinese characters that space is a visible gap. Chinese paragraphs are one line each.
  it.each(lessons.map((l) => [l.slug]))('lessons/%s/README.zh-CN.md breaks no line between two Chinese characters', (slug) => {
    const file = path.join(lessonsRoot, slug, 'README.zh-CN.md');
    const prose = readFileSync(file, 'utf8').replace(/^```[^]*?^```/gm, '');
    const cjk = '[\\u3000-\\u303f\\u3400-\\u9fff\\uff00-\\uffef\\u2014\\u2026\\u201c\\u201d]';
    const breaks = prose.match(new RegExp(`${cjk}\\n[ \\t]*${cjk}`, 'g')) ?? [];
    expect(breaks.map((b) => b.replace('\n', '⏎')), `${file}: join these lines`).toEqual([]);
  });
});

describe('zh-CN lessons: every lesson, nothing else', () => {
  const zh = resources['zh-CN'].lessons as Record<string, { title?: unknown; summary?: unknown; hints?: unknown }>;
  it.each(lessons.map((l) => [l.slug, l]))('%s: title, summary and as many hints as the manifest', (_slug, lesson) => {
    const entry = zh[lesson.slug];
    expect(entry, `no zh-CN lessons entry for ${lesson.slug}`).toBeDefined();
    expect(typeof entry!.title === 'string' && entry!.title.trim() !== '', 'title').toBe(true);
    expect(typeof entry!.summary === 'string' && entry!.summary.trim() !== '', 'summary').toBe(true);
    expect(Array.isArray(entry!.hints) ? entry!.hints.length : -1, 'number of hints').toBe(lesson.hints.length);
  });
  it('names no lesson that does not exist, and no field but title, summary, hints', () => {
    expect(Object.keys(zh).filter((slug) => !lessons.some((l) => l.slug === slug))).toEqual([]);
    expect(Object.entries(zh).flatMap(([slug, entry]) => Object.keys(entry).filter((k) => !['title', 'summary', 'hints'].includes(k)).map((k) => `${slug}.${k}`))).toEqual([]);
  });
});

describe('zh-CN graders: every test of every grader, nothing else', async () => {
  const zh = resources['zh-CN'].graders as Record<string, Record<string, { title?: unknown; look?: unknown }>>;
  const ids = new Map<string, string[]>();
  for (const lesson of lessons) {
    const grader = await loadGrader(lesson.slug);
    ids.set(lesson.slug, [...grader.tests.map((t) => t.id), ...(grader.leftOut ?? []).map((t) => t.id)]);
  }
  it('test ids hold no "." (the catalog separates keys with it)', () => {
    expect([...ids.values()].flat().filter((id) => id.includes('.'))).toEqual([]);
  });
  it.each(lessons.map((l) => [l.slug]))('%s: a title and a look for every test', (slug) => {
    const missing = ids.get(slug)!.filter((id) => {
      const entry = zh[slug]?.[id];
      return !(typeof entry?.title === 'string' && entry.title.trim() && typeof entry.look === 'string' && entry.look.trim());
    });
    expect(missing, `tests of ${slug} without a zh-CN title and look`).toEqual([]);
  });
  it('names no lesson or test that does not exist, and no field but title and look', () => {
    const unknown = Object.entries(zh).flatMap(([slug, tests]) =>
      !ids.has(slug) ? [slug] : Object.keys(tests).filter((id) => !ids.get(slug)!.includes(id)).map((id) => `${slug}/${id}`),
    );
    expect(unknown).toEqual([]);
    const fields = Object.entries(zh).flatMap(([slug, tests]) =>
      Object.entries(tests).flatMap(([id, entry]) => Object.keys(entry).filter((k) => k !== 'title' && k !== 'look').map((k) => `${slug}/${id}.${k}`)),
    );
    expect(fields).toEqual([]);
  });
});

describe('zh-CN failures: every sentence a grader fails a test with, and every phrase put into one, translated', () => {
  const cjk = /[\u4e00-\u9fff]/;
  it.each(failureGroups().map((group) => [group]))('%s: each template has its translation, with the same {{placeholders}}, and nothing stale', (group) => {
    const file = failureCatalogFile('zh-CN', group);
    const where = `${path.relative(projectRoot, file)} (refresh it with: npx tsx shared/grading/failure-templates.ts ${group})`;
    expect(existsSync(file), `${where} is missing`).toBe(true);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(raw), `${where}: only "sentences" and "phrases"`).toEqual(['sentences', 'phrases']);
    const catalog = readFailureCatalog(file);
    const templates = groupTemplates(group);
    expect(templates.sentences.length, `no sentence found in ${groupSources(group).join(', ')}: the extractor is broken`).toBeGreaterThan(20);
    for (const kind of ['sentences', 'phrases'] as const) {
      const translations = catalog[kind];
      // A template with nothing to translate (code, a header, JSON) may be given as it is.
      const untranslated = templates[kind].filter((template) => typeof translations[template] !== 'string' || !(cjk.test(translations[template]) || translations[template] === template));
      expect(untranslated, `${kind} without a Chinese translation in ${where}`).toEqual([]);
      const stale = Object.keys(translations).filter((template) => !templates[kind].includes(template));
      expect(stale, `${kind} the code no longer has, in ${where}`).toEqual([]);
      const mismatched = templates[kind].filter((template) => placeholdersOf(template).join() !== placeholdersOf(translations[template]!).join());
      expect(mismatched, `${kind} whose translation's {{n}} placeholders differ from the English template's, in ${where}`).toEqual([]);
      const lineBreaks = (text: string): number => text.split('\n').length;
      const broken = templates[kind].filter((template) => lineBreaks(template) !== lineBreaks(translations[template]!));
      expect(broken, `${kind} translated with more or fewer line breaks than the English template, in ${where}`).toEqual([]);
    }
  });
});
