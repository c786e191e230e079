/**
 * A failure's words in the learner's language. Graders write them in English: sentences
 * (fail({ expected, actual, look })) and the phrases put into them (a step, a moment, a
 * request described); see failure-templates.ts. The catalog `shared/i18n/locales/<lang>/failures/`
 * holds, per lesson and for shared/grading, each one's template (its `${…}` parts as `{{0}}`,
 * `{{1}}`, …) with its translation. A finished text is matched against the templates — a whole
 * part of a message against the sentences first, a value inside one against the phrases first,
 * so that a phrase never takes a whole sentence for itself; the longest text first within a
 * kind — and the values it carried are put into the translation, themselves translated when the
 * catalog knows them. A text no template matches stays as it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths.ts';

export type TemplateKind = 'sentences' | 'phrases';
export type FailureCatalog = Record<TemplateKind, Record<string, string>>;

export const failureCatalogFile = (language: string, group: string): string =>
  path.join(projectRoot, 'shared', 'i18n', 'locales', language, 'failures', `${group}.json`);

/** A group's catalog file, empty when there is none. */
export function readFailureCatalog(file: string): FailureCatalog {
  const read = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<FailureCatalog>) : {};
  return { sentences: read.sentences ?? {}, phrases: read.phrases ?? {} };
}

interface Entry {
  /** The template's own text, in order: each must occur in a text it matches. */
  readonly literals: readonly string[];
  readonly pattern: RegExp;
  readonly translation: string;
}

const weight = (entry: Entry): number => entry.literals.reduce((sum, text) => sum + text.length, 0);

function entriesOf(catalog: Record<string, string>): Entry[] {
  return Object.entries(catalog)
    .filter(([, translation]) => translation !== '')
    .map(([template, translation]) => {
      const literals = template.split(/\{\{\d+\}\}/);
      const pattern = new RegExp(`^${literals.map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('([\\s\\S]*?)')}$`);
      return { literals, pattern, translation };
    });
}

const loaded = new Map<string, Record<TemplateKind, readonly Entry[]>>();

/** The lesson's templates and shared/grading's, by kind, the longest text first: the most specific wins. */
function templatesFor(language: string, slug: string): Record<TemplateKind, readonly Entry[]> {
  const key = `${language}/${slug}`;
  let entries = loaded.get(key);
  if (!entries) {
    const [own, shared] = [slug, 'shared'].map((group) => readFailureCatalog(failureCatalogFile(language, group)));
    const sorted = (kind: TemplateKind): Entry[] => [...entriesOf(own![kind]), ...entriesOf(shared![kind])].sort((a, b) => weight(b) - weight(a));
    loaded.set(key, (entries = { sentences: sorted('sentences'), phrases: sorted('phrases') }));
  }
  return entries;
}

/** Does `text` hold every literal of the template, in order? A cheap test before the pattern. */
function holdsLiterals(text: string, literals: readonly string[]): boolean {
  let from = 0;
  for (const literal of literals) {
    const at = text.indexOf(literal, from);
    if (at < 0) return false;
    from = at + literal.length;
  }
  return true;
}

/**
 * `text` in `language`, for lesson `slug`: a part of a failure message (`sentences`, the
 * default) or a value inside one (`phrases`).
 */
export function translateFailureText(language: string, slug: string, text: string, kind: TemplateKind = 'sentences', depth = 0): string {
  if (language === 'en' || text.trim() === '') return text;
  const templates = templatesFor(language, slug);
  const order: TemplateKind[] = kind === 'sentences' ? ['sentences', 'phrases'] : ['phrases', 'sentences'];
  for (const entry of order.flatMap((k) => templates[k])) {
    if (!holdsLiterals(text, entry.literals)) continue;
    const match = entry.pattern.exec(text);
    if (!match) continue;
    return entry.translation.replace(/\{\{(\d+)\}\}/g, (_, index: string) => {
      const value = match[Number(index) + 1] ?? '';
      return depth < 2 ? translateFailureText(language, slug, value, 'phrases', depth + 1) : value;
    });
  }
  return text;
}
