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
import { createServer as createVite, type ViteDevServer } from 'vite';
import { describeError } from './grading/failure.ts';
import { lessonFolder } from './grading/targets.ts';
import { lessons, type Lesson } from './manifest.ts';
import { projectRoot } from './paths.ts';

export interface MountedLesson {
  readonly lesson: Lesson;
  /** Path prefix of the lesson's API, e.g. `/lessons/01-naive-polling/api`. */
  readonly apiPath: string;
  /** The lesson's own page, if it has one, e.g. `/lessons/05-chat/public/`. */
  readonly pagePath?: string;
  /** Set when the lesson's code could not be loaded (and neither could the reference). */
  readonly problem?: string;
  /** Set when the target's code failed to start and the reference solution is served instead. */
  readonly fallback?: string;
}

export interface Workshop {
  readonly app: express.Express;
  readonly mounted: readonly MountedLesson[];
  /** Ends held polls ("cancelled"), finishes the lessons' writes, stops Vite. */
  close(): Promise<void>;
}

/** What a lesson's createApp() may return besides the handler itself. */
interface LessonApp extends RequestHandler {
  shutdown?: () => void;
  close?: () => Promise<void>;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The workshop's options for a lesson, with a relative `file` made absolute. */
function serveOptions(lesson: Lesson): Record<string, unknown> {
  const options: Record<string, unknown> = { ...lesson.serve };
  if (typeof options.file === 'string') options.file = path.resolve(projectRoot, options.file);
  return options;
}

async function lessonApp(lesson: Lesson, target: string): Promise<LessonApp> {
  const folder = lessonFolder(lesson, target);
  const module = (await import(pathToFileURL(path.join(folder, 'server.ts')).href)) as { createApp?: (options: object) => LessonApp | Promise<LessonApp> };
  if (typeof module.createApp !== 'function') throw new Error('server.ts does not export createApp()');
  return module.createApp(serveOptions(lesson));
}

/**
 * Vite serves the lessons' own pages (TypeScript compiled on the fly), and nothing else of
 * the project: the database file and the learner's code stay private.
 */
async function pageServer(): Promise<{ handler: RequestHandler; vite: ViteDevServer }> {
  const vite = await createVite({
    root: projectRoot,
    configFile: false,
    appType: 'mpa',
    logLevel: 'warn',
    server: { middlewareMode: true, hmr: false },
  });
  const servable = /^\/(lessons\/[^/]+\/public\/|@vite\/|@id\/|@fs\/|node_modules\/\.vite\/|node_modules\/vite\/dist\/client\/)/;
  const handler: RequestHandler = (req, res, next) => (servable.test(req.path) ? vite.middlewares(req, res, next) : next());
  return { handler, vite };
}

function unavailable(problem: string): RequestHandler {
  return (_req, res) => void res.status(503).json({ error: `This lesson's server could not be loaded: ${problem}` });
}

function indexPage(mounted: readonly MountedLesson[], target: string): string {
  const rows = mounted
    .map(({ lesson, apiPath, pagePath, problem, fallback }) => {
      const state = problem
        ? `<strong>not loaded:</strong> ${escapeHtml(problem)}`
        : `API at <code>${apiPath}</code>${fallback ? ` (<strong>the reference solution</strong>: your code did not start: ${escapeHtml(fallback)})` : ''}`;
      const page = pagePath ? ` — <a href="${pagePath}">open the page</a>` : '';
      return `<li><a href="/lessons/${lesson.slug}/README.md">${lesson.number}. ${escapeHtml(lesson.title)}</a> — ${state}${page}</li>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Comet Workshop</title></head>
<body><h1>Comet Workshop</h1><p>Serving the code in <code>${escapeHtml(target)}/</code>.</p><ol>${rows}</ol></body></html>`;
}

export async function createWorkshop({ target = 'lessons' }: { target?: string } = {}): Promise<Workshop> {
  const app = express();
  const mounted: MountedLesson[] = [];
  const apps: LessonApp[] = [];
  for (const lesson of lessons) {
    const apiPath = `/lessons/${lesson.slug}/api`;
    const pagePath = lesson.page ? `/lessons/${lesson.slug}/${lesson.page}` : undefined;
    const page = pagePath ? { pagePath } : {};
    try {
      const lessonHandler = await lessonApp(lesson, target);
      apps.push(lessonHandler);
      app.use(apiPath, lessonHandler);
      mounted.push({ lesson, apiPath, ...page });
    } catch (error) {
      const problem = describeError(error);
      // A lesson not written yet may not even start (the chat needs its password hashing
      // for the demo accounts). Show the reference instead, and say so.
      const reference = target === 'solutions' ? undefined : await lessonApp(lesson, 'solutions').catch(() => undefined);
      if (reference) {
        apps.push(reference);
        app.use(apiPath, reference);
        mounted.push({ lesson, apiPath, ...page, fallback: problem });
      } else {
        app.use(apiPath, unavailable(problem));
        mounted.push({ lesson, apiPath, problem });
      }
    }
    app.get(`/lessons/${lesson.slug}/README.md`, async (_req, res) => {
      const text = await readFile(path.join(lessonFolder(lesson, 'lessons'), 'README.md'), 'utf8');
      res.type('text/plain; charset=utf-8').send(text);
    });
  }
  const pages = await pageServer();
  app.use(pages.handler);
  app.get('/', (_req, res) => void res.type('html').send(indexPage(mounted, target)));
  app.get('/api/lessons', (_req, res) => void res.json(mounted.map(({ lesson, ...where }) => ({ ...lesson, ...where }))));
  return {
    app,
    mounted,
    async close() {
      for (const lessonHandler of apps) {
        lessonHandler.shutdown?.();
        await lessonHandler.close?.();
      }
      await pages.vite.close();
    },
  };
}
