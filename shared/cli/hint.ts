/**
 * `npm run hint -- <lesson> [k]`: the lesson's k-th progressive hint (the first by default).
 *
 * @module
 */
import { findLesson } from '../manifest.ts';

const [key, which = '1'] = process.argv.slice(2);
const lesson = key === undefined ? undefined : findLesson(key);
if (!lesson) {
  console.error('Usage: npm run hint -- <lesson number or slug> [hint number]');
  process.exit(2);
}
const index = Math.min(Math.max(Number(which) || 1, 1), lesson.hints.length);
console.log(`Lesson ${lesson.number} · ${lesson.title} — hint ${index} of ${lesson.hints.length}\n\n${lesson.hints[index - 1]}`);
if (index < lesson.hints.length) console.log(`\nNext: npm run hint -- ${lesson.number} ${index + 1}`);
