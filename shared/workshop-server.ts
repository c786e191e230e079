/**
 * The workshop server: one express app that mounts every lesson's own app under
 * `/lessons/<slug>/api` (the learner's code by default, or the solutions), and an index
 * page that lists them. A lesson whose code does not load yet answers 503 with the reason,
 * so one broken lesson never stops the others.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express, { type RequestHandler } from 'express';
import { describeError } from './grading/failure.ts';
import { lessonFolder } from './grading/targets.ts';
import { lessons, type Lesson } from './manifest.ts';

export interface MountedLesson {
  readonly lesson: Lesson;
  /** Path prefix of the lesson's API, e.g. `/lessons/01-naive-polling/api`. */
  readonly apiPath: string;
  /** Set when the lesson's code could not be loaded. */
  readonly problem?: string;
}

export interface Workshop {
  readonly app: express.Express;
  readonly mounted: readonly MountedLesson[];
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

async function lessonApp(lesson: Lesson, target: string): Promise<RequestHandler> {
  const folder = lessonFolder(lesson, target);
  const module = (await import(pathToFileURL(path.join(folder, 'server.ts')).href)) as { createApp?: () => RequestHandler };
  if (typeof module.createApp !== 'function') throw new Error('server.ts does not export createApp()');
  return module.createApp();
}

function unavailable(problem: string): RequestHandler {
  return (_req, res) => void res.status(503).json({ error: `This lesson's server could not be loaded: ${problem}` });
}

function indexPage(mounted: readonly MountedLesson[], target: string): string {
  const rows = mounted
    .map(({ lesson, apiPath, problem }) => {
      const state = problem ? `<strong>not loaded:</strong> ${escapeHtml(problem)}` : `API at <code>${apiPath}</code>`;
      return `<li><a href="/lessons/${lesson.slug}/README.md">${lesson.number}. ${escapeHtml(lesson.title)}</a> — ${state}</li>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Comet Workshop</title></head>
<body><h1>Comet Workshop</h1><p>Serving the code in <code>${escapeHtml(target)}/</code>.</p><ol>${rows}</ol></body></html>`;
}

export async function createWorkshop({ target = 'lessons' }: { target?: string } = {}): Promise<Workshop> {
  const app = express();
  const mounted: MountedLesson[] = [];
  for (const lesson of lessons) {
    const apiPath = `/lessons/${lesson.slug}/api`;
    try {
      app.use(apiPath, await lessonApp(lesson, target));
      mounted.push({ lesson, apiPath });
    } catch (error) {
      const problem = describeError(error);
      app.use(apiPath, unavailable(problem));
      mounted.push({ lesson, apiPath, problem });
    }
    app.get(`/lessons/${lesson.slug}/README.md`, async (_req, res) => {
      const text = await readFile(path.join(lessonFolder(lesson, 'lessons'), 'README.md'), 'utf8');
      res.type('text/plain; charset=utf-8').send(text);
    });
  }
  app.get('/', (_req, res) => void res.type('html').send(indexPage(mounted, target)));
  app.get('/api/lessons', (_req, res) => void res.json(mounted.map(({ lesson, apiPath, problem }) => ({ ...lesson, apiPath, problem }))));
  return { app, mounted };
}
