/**
 * The site's language: English or 简体中文, chosen with the switch every page has, remembered
 * in localStorage, and until then taken from the browser's languages (navigator.languages,
 * through the catalog's resolveLanguage: zh, zh-CN, zh-Hans, zh-SG are 简体中文). Every string
 * of the site is a key of the catalog's `site` namespace (shared/i18n/locales/<language>/site.json).
 */
import { languages, lessonText, resolveLanguage, translator, type Language } from '../shared/i18n/index.ts';

/** Where the choice is remembered; the chat page (lesson 05's own page) reads it too. */
export const STORAGE_KEY = 'comet-workshop.language';

/** What each language calls itself, on the switch. */
export const languageNames: Record<Language, string> = { en: 'English', 'zh-CN': '简体中文' };

function remembered(): Language | undefined {
  try {
    return resolveLanguage(localStorage.getItem(STORAGE_KEY));
  } catch {
    return undefined; // storage refused (a private window's settings): the browser's languages decide
  }
}

/** The language a visitor gets: the one chosen on the switch, else the browser's first that the site speaks, else English. */
export function initialLanguage(): Language {
  const fromBrowser = [...(navigator.languages ?? []), navigator.language].map((tag) => resolveLanguage(tag)).find((found) => found !== undefined);
  return remembered() ?? fromBrowser ?? 'en';
}

let current: Language = initialLanguage();
let translate = translator(current);

/** The language shown now. */
export const language = (): Language => current;

/** A site string: `key` in the `site` namespace, with its `{{variables}}`. */
export function t(key: string, values: Record<string, unknown> = {}): string {
  return translate(`site:${key}`, values) as string;
}

/** A lesson's title or summary in the language shown (the manifest's English until its translation exists). */
export function lessonField(lesson: { slug: string; title: string; summary: string }, field: 'title' | 'summary'): string {
  return lessonText(translate, lesson, field);
}

/** Shows the page in `chosen` from now on: remembered, and set on `<html lang>`. */
export function setLanguage(chosen: Language): void {
  current = chosen;
  translate = translator(chosen);
  document.documentElement.lang = chosen;
  try {
    localStorage.setItem(STORAGE_KEY, chosen);
  } catch {
    // not remembered: the page still changes
  }
}

/**
 * The switch: a labelled select, each language in its own name (and `lang`). `onChange` runs
 * after the language changed, to draw the page again.
 */
export function languageSwitch(onChange: () => void): HTMLElement {
  const select = document.createElement('select');
  select.id = 'language';
  for (const value of languages) {
    const option = new Option(languageNames[value], value, false, value === current);
    option.lang = value;
    select.append(option);
  }
  select.addEventListener('change', () => {
    setLanguage(select.value as Language);
    onChange();
  });
  const label = document.createElement('label');
  label.className = 'language';
  label.htmlFor = select.id;
  const text = document.createElement('span');
  text.className = 'visually-hidden';
  text.textContent = 'Language / 语言';
  label.append(text, select);
  return label;
}

document.documentElement.lang = current;
