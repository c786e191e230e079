/**
 * `npm run pristine [-- --check]`: records every lesson's starter (lessons/, README*.md left
 * out) as the pristine copy `reset` restores (shared/pristine/<slug>.json); with --check, only
 * says which differ and exits 1 if any does. For the workshop's maintainers, after changing a
 * starter; test/meta/pristine.test.ts is the same check.
 *
 * @module
 */
import path from 'node:path';
import { lessons } from '../manifest.ts';
import { lessonsRoot } from '../paths.ts';
import { readPristine, starterFiles, writePristine } from '../pristine.ts';
import { parseCommand } from './args.ts';

const { values, t } = parseCommand(process.argv.slice(2), {
  options: { check: { type: 'boolean', default: false } },
  usage: (tr) => tr('cli:pristine.usage'),
});
let differing = 0;
for (const lesson of lessons) {
  const files = starterFiles(path.join(lessonsRoot, lesson.slug));
  const same = JSON.stringify(readPristine(lesson.slug)) === JSON.stringify(files);
  if (same) continue;
  differing++;
  if (values.check) console.log(t('cli:pristine.differs', { slug: lesson.slug }));
  else {
    writePristine(lesson.slug, files);
    console.log(t('cli:pristine.written', { slug: lesson.slug }));
  }
}
if (differing === 0) console.log(t('cli:pristine.upToDate'));
process.exitCode = values.check && differing > 0 ? 1 : 0;
