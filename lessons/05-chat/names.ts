/**
 * User names that cannot pretend to be someone else. Given: read it, nothing to write here.
 *
 * A name on screen is all another user sees of you, so two names that *look* the same are
 * the same name. Four rules keep impostors out:
 *
 * 1. **One form.** Unicode has several ways to write many characters (`é` as one code point,
 *    or `e` and a combining accent; `ｆｕｌｌ` wide letters): NFKC normalisation picks one.
 * 2. **Nothing invisible.** Zero-width characters, direction overrides (which reorder what is
 *    shown), control characters, line separators, variation selectors, fillers and blanks
 *    that draw nothing (Unicode's "default ignorable" characters, the braille blank, any space
 *    but the plain one) have no place in a name; neither has a lone half of a UTF-16
 *    surrogate pair (it would turn into `�` when stored).
 * 3. **One script.** `lіger_zql` with a Cyrillic `і` looks exactly like the Latin one. Letters
 *    from two scripts in one name are refused, except the mixes a real language writes
 *    (Japanese mixes Han with kana; Korean may mix Han and Hangul).
 * 4. **Unique by skeleton.** Unicode's security report (UTS #39) maps every character to a
 *    "prototype" it is confusable with (`0` and `O`, `rn` and `m`, Cyrillic `а` and Latin
 *    `a`): two names with the same *skeleton* look alike. Case counts as a look too — and
 *    since a capital `I` looks like a small `l`, small `i` and `l` are one letter here. The
 *    store keeps each name's key in a UNIQUE column, so `Ann`, `ann`, `аnn`, `Iiger` and
 *    `liger` cannot all exist.
 *
 * Lengths are counted in characters (code points), not in UTF-16 units: `漠然` is 2, and so
 * is a name of two emoji.
 *
 * @module
 */
import unhomoglyph from 'unhomoglyph';
import { MAX_NAME_LENGTH } from './protocol.ts';

export type NameCheck = { name: string; key: string } | { problem: string };

/** Scripts a name's letters may come from; several only in the combinations below. */
const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Arabic', 'Hebrew', 'Thai', 'Devanagari', 'Armenian', 'Georgian'] as const;
const SCRIPT_PATTERNS = SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);
/** Mixes that real writing uses (UTS #39's "highly restrictive" profile, roughly). */
const ALLOWED_MIXES = [new Set(['Han', 'Hiragana', 'Katakana']), new Set(['Han', 'Bopomofo']), new Set(['Han', 'Hangul'])];

/**
 * Characters that draw nothing or reorder what is drawn: format (Cf), control (Cc), line and
 * paragraph separators, default ignorables (variation selectors, the combining grapheme
 * joiner, Hangul fillers), the braille blank, and every space but U+0020.
 */
const INVISIBLE = /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]|[^\S ]/u;

/** The scripts of the letters of `name` (digits, punctuation and marks belong to none). */
function scriptsOf(name: string): Set<string> {
  const scripts = new Set<string>();
  for (const char of name) {
    if (!/\p{L}/u.test(char)) continue;
    scripts.add(SCRIPT_PATTERNS.find(([, pattern]) => pattern.test(char))?.[0] ?? `other:${char}`);
  }
  return scripts;
}

function mixesScripts(name: string): boolean {
  const scripts = scriptsOf(name);
  if (scripts.size <= 1) return false;
  return !ALLOWED_MIXES.some((allowed) => [...scripts].every((script) => allowed.has(script)));
}

/** Each character's confusable prototype (UTS #39), then lower case. */
const fold = (text: string): string => unhomoglyph(text.normalize('NFD')).normalize('NFD').toLowerCase();

/**
 * What makes two names look alike. Folded twice: prototypes, lower case, and prototypes of
 * the lower case (`M` → `m` → `rn`); then `i` and `l` are one letter, because `I` is both an
 * `i` (by case) and an `l` (by look).
 */
export function nameKey(name: string): string {
  return fold(fold(name)).replaceAll('i', 'l');
}

/** Reads a user name from a request body: the name to store and its key, or what is wrong. */
export function readName(raw: unknown): NameCheck {
  if (typeof raw !== 'string') return { problem: '"name" must be text.' };
  if (!raw.isWellFormed()) return { problem: '"name" has a broken character (half of a UTF-16 surrogate pair).' };
  const name = raw.normalize('NFKC').trim();
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH) return { problem: `"name" must be 1 to ${MAX_NAME_LENGTH} characters, not only spaces.` };
  if (INVISIBLE.test(name)) return { problem: '"name" may not contain invisible, control or direction characters.' };
  if (mixesScripts(name)) return { problem: '"name" mixes letters of different scripts (such as Latin and Cyrillic), which can imitate another name.' };
  return { name, key: nameKey(name) };
}
