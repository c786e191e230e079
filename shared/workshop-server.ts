/**
 * The workshop server: one express app, one port. It mounts every lesson's own app under
 * `/lessons/<slug>/api` (the learner's code by default) and, for the site's switch, the
 * reference solution under `/solutions/<slug>/api`; it serves the site and the lessons' pages
 * through Vite (in middleware mode while developing, or the built site from `dist/site`), and a
 * small API the site reads: the lessons, their texts, the learner's progress.
 *
 * A demo lesson's API is also reachable as `/lessons/<slug>/c/<client>/api`: the same app,
 * but each simulated client of the page's demo has its own prefix, so the page can tell whose
 * request is whose. A lesson whose code does not load answers 503 with the reason, and one
 * that does not start is served from the reference solution (and the site says so).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import type { Plugin, ViteDevServer } from 'vite';
import { describeError } from './grading/failure.ts';
import { lessonFolder } from './grading/targets.ts';
import { lessons, type Lesson } from './manifest.ts';
import { projectRoot } from './paths.ts';
import { readProgress } from './progress.ts';
import { devServable, fayeBrowserClient, hostCheck, hostName, notFound, pageGate, shippedFiles, shippedGate, viteDeny } from './serving.ts';

export interface MountedLesson {
  readonly lesson: Lesson;
  /** Path prefix of the lesson's API, e.g. `/lessons/01-naive-polling/api`. */
  readonly apiPath: string;
  /** The reference solution's API, for demo lessons. */
  readonly referencePath?: string;
  /** The lesson's own page, if it has one, e.g. `/lessons/05-chat/public/`. */
  readonly pagePath?: string;
  /** Set when the lesson's code could not be loaded (and neither could the reference). */
  readonly problem?: string;
  /** Set when the target's code failed to start and the reference solution is served instead. */
  readonly fallback?: string;
  /** For a Bayeux demo: where the page loads its clients' code (Faye's browser client). */
  readonly clientScript?: string;
}

export interface WorkshopOptions {
  /** Whose code the lessons' APIs run: `lessons` (default), `solutions`, or a folder. */
  target?: string;
  /** Where lessons keep their files (a relative `file` option is resolved here); default: the project. */
  dataRoot?: string;
  /** Serve the built site (`npm run build`: dist/site, or the folder given) instead of compiling on the fly with Vite. */
  built?: boolean | string;
  /** Host names to answer to besides localhost, 127.0.0.1 and [::1] (`--host`). */
  hosts?: readonly string[];
  /** Where a lesson's server errors are written, with their stack; default: the terminal (stderr). */
  log?: (text: string) => void;
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

export const builtSite = path.join(projectRoot, 'dist', 'site');
const docsFolder = path.join(projectRoot, 'dist', 'docs');
/** The last full benchmark run (npm run bench), shown on the site. */
const benchFolder = path.join(projectRoot, 'bench');
const benchFiles = ['RESULTS.md', 'chart.svg'];

/** The workshop's options for a lesson, with a relative `file` made absolute. */
function serveOptions(lesson: Lesson, dataRoot: string): Record<string, unknown> {
  const options: Record<string, unknown> = { ...lesson.serve };
  if (typeof options.file === 'string') options.file = path.resolve(dataRoot, options.file);
  return options;
}

async function lessonApp(lesson: Lesson, target: string, options: Record<string, unknown>, log: (text: string) => void): Promise<LessonApp> {
  const folder = lessonFolder(lesson, target);
  const module = (await import(pathToFileURL(path.join(folder, 'server.ts')).href)) as {
    createApp?: (options: object) => LessonApp | Promise<LessonApp>;
  };
  if (typeof module.createApp !== 'function') throw new Error('server.ts does not export createApp()');
  const app = await module.createApp(options);
  logLessonErrors(app, folder, log);
  return app;
}

/** A server error (not a 4xx the request asked for), for the log. */
function serverError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return !(typeof status === 'number' && status >= 400 && status < 500);
}

function describeFailure(where: string, req: Request, error: unknown): string {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `${where}: ${req.method} ${req.originalUrl} failed:\n${detail}`;
}

/**
 * A lesson's own error handler answers "The server failed." and keeps the error to itself;
 * this makes each of them (the error handlers in the lesson's express router) write the real
 * error and its stack to `log` first. Lesson code is not changed, only wrapped.
 */
function logLessonErrors(app: LessonApp, folder: string, log: (text: string) => void): void {
  const stack = (app as { router?: { stack?: Array<{ handle: (...args: never[]) => unknown }> } }).router?.stack ?? [];
  for (const layer of stack) {
    const handle = layer.handle as ErrorRequestHandler;
    if (handle.length !== 4) continue;
    const logged: ErrorRequestHandler = (error, req, res, next) => {
      if (serverError(error)) log(describeFailure(`${path.relative(projectRoot, folder)}/server.ts`, req, error));
      return handle(error, req, res, next);
    };
    layer.handle = logged as never;
  }
}

function unavailable(problem: string): RequestHandler {
  return (_req, res) => void res.status(503).json({ error: `This lesson's server could not be loaded: ${problem}` });
}

/** Every path under which a lesson app is reachable: its API, and one prefix per demo client. */
function prefixes(root: string, lesson: Lesson): string[] {
  const api = `/${root}/${lesson.slug}/api`;
  return lesson.demo ? [api, `/${root}/${lesson.slug}/c/:client/api`] : [api];
}

/**
 * The site and the lessons' pages: through Vite, behind the gate of serving.ts (only the site,
 * the lessons' pages and the demos' client code; the database and the learner's server code
 * stay private), or the built site. Vite opens no WebSocket (`ws: false`): nothing listens
 * but the workshop's own port.
 */
/**
 * With no WebSocket (and no hot reload) Vite's client in a page could only fail to connect
 * and say so in the console: leave it out of the pages.
 */
const withoutViteClient: Plugin = {
  name: 'workshop:without-vite-client',
  apply: 'serve',
  transformIndexHtml: { order: 'post', handler: (html) => html.replace(/<script type="module" src="\/@vite\/client"><\/script>\s*/, '') },
};

async function pageServer(built: boolean | string, hosts: readonly string[]): Promise<{ handler: RequestHandler; close(): Promise<void> }> {
  if (built) {
    const folder = built === true ? builtSite : path.resolve(built);
    const statics = express.static(folder, { index: 'index.html' });
    return { handler: pageGate({ allow: [folder], virtual: [], pending: [] }, folder, false, statics), close: async () => undefined };
  }
  const { createServer } = await import('vite');
  const servable = devServable();
  const vite: ViteDevServer = await createServer({
    root: projectRoot,
    configFile: false,
    appType: 'mpa',
    logLevel: 'warn',
    plugins: [withoutViteClient],
    server: {
      middlewareMode: true,
      hmr: false,
      ws: false,
      allowedHosts: hosts.map(hostName),
      fs: { strict: true, allow: [...servable.allow], deny: [...viteDeny] },
    },
  });
  return { handler: pageGate(servable, projectRoot, true, vite.middlewares), close: () => vite.close() };
}

/** The lesson's text in `lang` (README.<lang>.md) if there is one, else in English. */
async function lessonText(lesson: Lesson, lang: string | undefined): Promise<string> {
  const folder = lessonFolder(lesson, 'lessons');
  const translated = lang && /^[a-z]{2}(-[A-Za-z]{2,4})?$/.test(lang) ? path.join(folder, `README.${lang}.md`) : undefined;
  return readFile(translated && existsSync(translated) ? translated : path.join(folder, 'README.md'), 'utf8');
}

export async function createWorkshop(options: WorkshopOptions = {}): Promise<Workshop> {
  const { target = 'lessons', dataRoot = projectRoot, built = false, hosts = [], log = (text: string) => console.error(text) } = options;
  const app = express();
  app.use(hostCheck(hosts));
  const mounted: MountedLesson[] = [];
  const apps: LessonApp[] = [];
  const start = async (lesson: Lesson, from: string): Promise<LessonApp> => {
    const started = await lessonApp(lesson, from, serveOptions(lesson, dataRoot), log);
    apps.push(started);
    return started;
  };

  for (const lesson of lessons) {
    const apiPath = `/lessons/${lesson.slug}/api`;
    const where = {
      ...(lesson.page ? { pagePath: `/lessons/${lesson.slug}/${lesson.page}` } : {}),
      ...(lesson.demo ? { referencePath: `/solutions/${lesson.slug}/api` } : {}),
      ...(lesson.demo?.kind === 'bayeux' ? { clientScript: fayeBrowserClient } : {}),
    };
    try {
      app.use(prefixes('lessons', lesson), await start(lesson, target));
      mounted.push({ lesson, apiPath, ...where });
    } catch (error) {
      const problem = describeError(error);
      // A lesson not written yet may not even start (the chat needs its password hashing
      // for the demo accounts). Show the reference instead, and say so.
      const reference = target === 'solutions' ? undefined : await start(lesson, 'solutions').catch(() => undefined);
      if (reference) {
        app.use(prefixes('lessons', lesson), reference);
        mounted.push({ lesson, apiPath, ...where, fallback: problem });
      } else {
        app.use(prefixes('lessons', lesson), unavailable(problem));
        mounted.push({ lesson, apiPath, problem });
      }
    }
    if (lesson.demo) {
      const reference = await start(lesson, 'solutions').catch((error: unknown) => unavailable(describeError(error)));
      app.use(prefixes('solutions', lesson), reference);
    }
  }

  app.get('/api/lessons', (_req, res) => void res.json({ target, lessons: mounted.map(({ lesson, ...rest }) => ({ ...lesson, ...rest })) }));
  app.get('/api/progress', (_req, res) => void res.set('Cache-Control', 'no-store').json(readProgress()));
  app.get('/api/lessons/:slug/text', async (req, res) => {
    const lesson = lessons.find((l) => l.slug === req.params.slug);
    if (!lesson) return void res.status(404).json({ error: `There is no lesson ${req.params.slug}.` });
    const lang = typeof req.query.lang === 'string' ? req.query.lang : undefined;
    res.type('text/markdown; charset=utf-8').send(await lessonText(lesson, lang));
  });
  app.get('/api/bench/:file', (req, res) => {
    const file = req.params.file;
    if (!benchFiles.includes(file)) return void res.status(404).json({ error: `The benchmark results are ${benchFiles.join(' and ')}; there is no ${file}.` });
    res.sendFile(path.join(benchFolder, file), (error) => {
      if (error && !res.headersSent) res.status(404).json({ error: `No ${file} yet: run npm run bench.` });
    });
  });
  app.use('/docs', express.static(docsFolder));
  // Pages without an icon of their own (the typedoc pages) make browsers ask for this.
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  app.get('/', (_req, res) => res.redirect('/site/'));

  const pages = await pageServer(built, hosts);
  app.use(shippedGate(shippedFiles()));
  app.use(pages.handler);
  app.use(notFound);
  // What a lesson without an error handler of its own (or the workshop) throws: logged, and a JSON answer.
  app.use(((error, req, res, _next) => {
    const server = serverError(error);
    if (res.headersSent) return void res.end();
    if (server) log(describeFailure('the workshop server', req, error));
    const status = server ? 500 : (error as { status: number }).status;
    res.status(status).json({ error: server ? 'The server failed: the terminal running npm start shows why.' : `The request could not be read: ${(error as Error).message}` });
  }) as ErrorRequestHandler);
  return {
    app,
    mounted,
    async close() {
      for (const lessonHandler of apps) {
        lessonHandler.shutdown?.();
        await lessonHandler.close?.();
      }
      await pages.close();
    },
  };
}
