/**
 * The message catalog: every string a learner or teacher reads outside the lesson texts
 * (site chrome, CLI output, hints, grading reports) by key, in English and 简体中文, through
 * i18next (plural rules, interpolation, English as the fallback).
 *
 * Namespaces, one JSON file per language each (`locales/<language>/<namespace>.json`):
 * - `cli`, `grading`, `site`, `teacher`: keyed messages, the same keys in both languages;
 * - `lessons`: lesson titles, summaries and hints; English comes from the manifest, so only
 *   the Chinese file exists;
 * - `graders`: each grader test's title and where-to-look; English comes from the grader's
 *   own source, so only the Chinese file exists.
 *
 * Browser-safe: no Node imports, so the site uses the same catalog.
 *
 * @module
 */
import i18next, { type TFunction } from 'i18next';
import enCli from './locales/en/cli.json' with { type: 'json' };
import enGrading from './locales/en/grading.json' with { type: 'json' };
import enSite from './locales/en/site.json' with { type: 'json' };
import enTeacher from './locales/en/teacher.json' with { type: 'json' };
import zhCli from './locales/zh-CN/cli.json' with { type: 'json' };
import zhGrading from './locales/zh-CN/grading.json' with { type: 'json' };
import zhSite from './locales/zh-CN/site.json' with { type: 'json' };
import zhTeacher from './locales/zh-CN/teacher.json' with { type: 'json' };
import zhLessons from './locales/zh-CN/lessons.json' with { type: 'json' };
import zhGraders from './locales/zh-CN/graders.json' with { type: 'json' };

export const languages = ['en', 'zh-CN'] as const;
export type Language = (typeof languages)[number];

/** The keyed namespaces: each must hold the same keys in every language. */
export const keyedNamespaces = ['cli', 'grading', 'site', 'teacher'] as const;

export const resources = {
  en: { cli: enCli, grading: enGrading, site: enSite, teacher: enTeacher, lessons: {}, graders: {} },
  'zh-CN': { cli: zhCli, grading: zhGrading, site: zhSite, teacher: zhTeacher, lessons: zhLessons, graders: zhGraders },
} as const;

/**
 * The language a BCP 47 tag or a POSIX locale names, or undefined when it names neither:
 * `zh`, `zh-CN`, `zh-Hans`, `zh-SG`, `zh_CN.UTF-8` → 简体中文; `en`, `en-GB`, `C`, `POSIX` → English.
 * Traditional Chinese (`zh-TW`, `zh-HK`, `zh-Hant`) is not 简体中文, so it is not mapped.
 */
export function resolveLanguage(tag: string | undefined | null): Language | undefined {
  if (!tag) return undefined;
  const clean = tag.trim().split('.')[0]!.split('@')[0]!.replace(/_/g, '-').toLowerCase();
  if (clean === 'c' || clean === 'posix' || clean === 'en' || clean.startsWith('en-')) return 'en';
  if (clean === 'zh' || clean === 'zh-cn' || clean === 'zh-sg' || clean.startsWith('zh-hans')) return 'zh-CN';
  return undefined;
}

/**
 * The language for a command: `--lang` first, then the POSIX order LC_ALL, LC_MESSAGES, LANG;
 * English when none names a language the catalog has.
 */
export function languageFor(flag: string | undefined, env: Record<string, string | undefined> = {}): Language {
  if (flag !== undefined) {
    const chosen = resolveLanguage(flag);
    if (!chosen) throw new RangeError(`--lang ${flag}: the workshop speaks ${languages.join(' and ')}`);
    return chosen;
  }
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG']) {
    const value = env[name];
    if (value) return resolveLanguage(value) ?? 'en';
  }
  return 'en';
}

export type Translate = TFunction;

/** A translator for one language, ready at once (the catalog is bundled, nothing loads). */
export function translator(language: Language): Translate {
  const instance = i18next.createInstance();
  void instance.init({
    lng: language,
    fallbackLng: 'en',
    ns: ['cli', 'grading', 'site', 'teacher', 'lessons', 'graders'],
    defaultNS: 'cli',
    resources,
    initAsync: false,
    interpolation: { escapeValue: false }, // the site sets textContent, the CLI prints: nothing is HTML
    returnNull: false,
  });
  return instance.t;
}

/** A lesson's title, summary or hints in `language`, falling back to the manifest's English. */
export function lessonText(t: Translate, lesson: { slug: string; title: string; summary: string }, field: 'title' | 'summary'): string {
  return t(`lessons:${lesson.slug}.${field}`, { defaultValue: lesson[field] });
}

export function lessonHints(t: Translate, lesson: { slug: string; hints: readonly string[] }): readonly string[] {
  const translated = t(`lessons:${lesson.slug}.hints`, { returnObjects: true, defaultValue: null }) as unknown;
  return Array.isArray(translated) && translated.length === lesson.hints.length ? (translated as string[]) : lesson.hints;
}

/** A grader test's title or where-to-look in `language`, falling back to the grader's English. */
export function testText(t: Translate, slug: string, test: { id: string; title: string; look: string }, field: 'title' | 'look'): string {
  return t(`graders:${slug}.${test.id}.${field}`, { defaultValue: test[field] });
}
