/**
 * What Vite's file watcher in the workshop (`npm start`) looks at: only the files pages are
 * served from and the folders on the way to them. A CI run once logged `file watcher error:
 * ELOOP` because the watcher walked .workshop/, where a grading test had left a symlink back
 * to the project: forty copies of the project deep, while a browser test waited for its page.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lessonsRoot, projectRoot, solutionsRoot, workRoot } from '../../shared/paths.ts';
import { devServable, unwatched } from '../../shared/serving.ts';

const ignored = unwatched(devServable());
const WHERE = 'shared/serving.ts (unwatched) and the watch option of createServer in shared/workshop-server.ts';

describe('the workshop’s file watcher', () => {
  it.each([
    ['the project itself (on the way to the pages)', projectRoot],
    ['site/', path.join(projectRoot, 'site')],
    ['the site’s page', path.join(projectRoot, 'site', 'index.html')],
    ['lessons/ (on the way to a client)', lessonsRoot],
    ['a lesson’s client, which the demo loads', path.join(lessonsRoot, '02-held-requests', 'client.ts')],
    ['a reference client, which the demo loads', path.join(solutionsRoot, '02-held-requests', 'client.ts')],
  ])('watches %s', (_name, file) => {
    expect(ignored(file), `${file} should be watched: a learner's edit must reach the next page load. See ${WHERE}.`).toBe(false);
  });

  it.each([
    ['.workshop/ (data, scratch copies, symlinks that loop)', workRoot],
    ['a symlink inside .workshop/', path.join(workRoot, 'fakes', 'autograder', 'source')],
    ['test/', path.join(projectRoot, 'test')],
    ['bench/', path.join(projectRoot, 'bench')],
    ['a lesson’s server, which no page loads', path.join(lessonsRoot, '02-held-requests', 'server.ts')],
    ['node_modules outside what pages load', path.join(projectRoot, 'node_modules', 'express')],
  ])('leaves %s alone', (_name, file) => {
    expect(ignored(file), `${file} should not be watched: no page loads it. See ${WHERE}.`).toBe(true);
  });
});
