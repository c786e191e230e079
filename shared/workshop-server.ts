/**
 * The workshop server: one express app, one port. It mounts every lesson's own app under
 * `/lessons/<slug>/api` (the learner's code by default) and, for the site's switch, the
 * reference solution under `/solutions/<slug>/api`; it serves the site and the lessons' pages
 * through Vite (in middleware mode while developing, or the built site from `dist/site`), and a
 * small API the site reads: the lessons, their texts, the learner's progress and the last
 * `verify` of each lesson (`/api/last-run` lists the lessons that have one, `/api/last-run/<slug>`
 * is one, with its failures' timelines).
 *
 * A demo lesson's API is also reachable as `/lessons/<slug>/c/<client>/api`: the same app,
 * but each simulated client of the page's demo has its own prefix, so the page can tell whose
 * request is whose. A lesson whose code does not load answers 503 with the reason, and one
 * that does not start is served from the reference solution (and the site says so).
 *
 * A relay demo (lesson 07) also runs its demo agent here: agent.ts's startAgent, in this
 * process, an outbound-only client of the workshop's own port like an agent behind a firewall,
 * one against each relay (the learner's agent, or the reference's when it does not start; and
 * the reference's against the reference). The workshop learns its port from its first request,
 * and starts the agents then. What the relays and the agents report (their onEvent) is served
 * to the page by a held GET, `/api/lessons/<slug>/events?root=lessons|solutions&after=N`.
 *
 * An event-stream demo (lesson 08) can have its server restarted from the page:
 * `POST /api/lessons/<slug>/restart` with `{ "root": "lessons" | "solutions" }` makes the
 * lesson's app again from the same code with the messages it kept and shuts the old one down
 * (its streams end), so that the page's EventSource reconnects with Last-Event-ID and loses
 * nothing; a restart that fails (a 500 that says why) leaves the old one serving. The
 * workshop adds no buffering of its own to a stream: no compression, and no time limit on a
 * response (the server's limits are on receiving requests).
 *
 * A scale demo (lesson 09) runs the lesson's server as several processes on one broker
 * (shared/scale-demo.ts): on a private redis-server when one is installed, otherwise as apps in
 * this process on the lesson's stand-in broker. Each process is at
 * `/<root>/<slug>/p/<name>/api`, `POST /<root>/<slug>/p/<name>/kill` kills it (it is started
 * again a few seconds later), `GET /<root>/<slug>/processes` tells their state, and the lesson's
 * usual API prefixes reach the running processes in turn. They start on first use (or
 * {@link Workshop.startProcesses}) and stop with the workshop.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Plugin, ViteDevServer } from 'vite';
import { describeError } from './grading/failure.ts';
import { lessonFolder } from './grading/targets.ts';
import { lessons, type Lesson } from './manifest.ts';
import { projectRoot } from './paths.ts';
import { lessonsWithLastRun, readLastRun } from './last-run.ts';
import { readProgress } from './progress.ts';
import { ScaleCluster, SharedRedis } from './scale-demo.ts';
import { devServable, fayeBrowserClient, hostCheck, hostName, notFound, pageGate, sameOrigin, shippedFiles, shippedGate, unwatched, viteDeny } from './serving.ts';

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
  /** For a relay demo: set when the target's agent did not start and the reference's runs in its place. */
  readonly agentFallback?: string;
  /** For a relay demo: set when no demo agent could be started against the lesson's relay. */
  readonly agentProblem?: string;
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
  /** A scale demo's processes, by slug: those running the target's code (`lessons`) and the reference's. */
  readonly clusters: ReadonlyMap<string, Readonly<Record<'lessons' | 'solutions', ScaleCluster>>>;
  /** Starts the processes of every scale demo's `lessons` root now rather than on first use (npm start). */
  startProcesses(): Promise<void>;
  /** Ends held polls ("cancelled"), finishes the lessons' writes, stops Vite. */
  close(): Promise<void>;
}

/** What a lesson's createApp() may return besides the handler itself. */
interface LessonApp extends RequestHandler {
  shutdown?: () => void;
  close?: () => Promise<void>;
  /** An event-stream lesson's kept history, oldest first (to make the app again with it). */
  kept?: () => readonly unknown[];
}

type CreateApp = (options: object) => LessonApp | Promise<LessonApp>;

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

/** The lesson's createApp() from `target`, loaded (and its errors logged once it has made an app). */
async function lessonFactory(lesson: Lesson, target: string, log: (text: string) => void): Promise<CreateApp> {
  const folder = lessonFolder(lesson, target);
  const module = (await import(pathToFileURL(path.join(folder, 'server.ts')).href)) as { createApp?: CreateApp };
  const { createApp } = module;
  if (typeof createApp !== 'function') throw new Error('server.ts does not export createApp()');
  const logged = (app: LessonApp): LessonApp => {
    logLessonErrors(app, folder, log);
    return app;
  };
  return (options) => {
    const made = createApp(options);
    return made instanceof Promise ? made.then(logged) : logged(made);
  };
}

async function lessonApp(lesson: Lesson, target: string, options: Record<string, unknown>, log: (text: string) => void): Promise<LessonApp> {
  return (await lessonFactory(lesson, target, log))(options);
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

/**
 * `attempt(target)`; when that fails and the target is not the reference, `attempt('solutions')`
 * with the reason (`fallback`); when both fail, the first reason (`problem`).
 */
async function targetOrReference<T>(target: string, attempt: (from: string) => Promise<T>): Promise<{ value: T; fallback?: string } | { problem: string }> {
  try {
    return { value: await attempt(target) };
  } catch (error) {
    const problem = describeError(error);
    if (target === 'solutions') return { problem };
    try {
      return { value: await attempt('solutions'), fallback: problem };
    } catch {
      return { problem };
    }
  }
}

/** What the relay and the agent of a relay demo report (their onEvent), numbered, as the page reads it. */
export interface DemoEvent {
  /** Its number in its feed, from 1. */
  readonly seq: number;
  /** Date.now() when it happened. */
  readonly at: number;
  readonly lane: 'relay' | 'agent';
  readonly agent: string;
  readonly kind: string;
  readonly id?: string;
  readonly status?: number;
  readonly count?: number;
  /** For an error of the agent (its onError): what went wrong. */
  readonly problem?: string;
}

/** Events kept per feed; pages following one feed at once; how long a GET is held; how long events gather before it is answered. */
const FEED_SIZE = 500;
const FEED_MAX_WAITING = 16;
const FEED_HOLD_MS = 10_000;
const FEED_GATHER_MS = 15;

/** An event as the lesson's code reported it, checked and cut to size; undefined when it is not one. */
function demoEvent(raw: unknown, seq: number): DemoEvent | undefined {
  const event = raw as Record<string, unknown> | null;
  if (typeof event !== 'object' || event === null || (event.lane !== 'relay' && event.lane !== 'agent') || typeof event.kind !== 'string') return undefined;
  const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : undefined);
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const optional = { id: text(event.id, 64), status: number(event.status), count: number(event.count), problem: text(event.problem, 500) };
  return {
    seq,
    at: number(event.at) ?? Date.now(),
    lane: event.lane,
    agent: text(event.agent, 64) ?? '',
    kind: event.kind.slice(0, 40),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

interface FeedWaiter {
  readonly after: number;
  readonly res: Response;
  readonly timer: NodeJS.Timeout;
}

/**
 * A relay demo's events for the page's timeline: the newest FEED_SIZE, numbered, behind a held
 * GET (lesson 04's resume). A page asks with the number of the last event it has, and is
 * answered at once with every newer one, or when the next ones come (gathered for a few ms: one
 * query makes several), or with none after FEED_HOLD_MS.
 */
class EventFeed {
  readonly #events: DemoEvent[] = [];
  readonly #waiting = new Set<FeedWaiter>();
  #last = 0;
  #wake: NodeJS.Timeout | undefined;

  push(raw: unknown): void {
    const event = demoEvent(raw, this.#last + 1);
    if (!event) return;
    this.#last = event.seq;
    this.#events.push(event);
    if (this.#events.length > FEED_SIZE) this.#events.shift();
    this.#wake ??= setTimeout(() => {
      this.#wake = undefined;
      for (const waiter of [...this.#waiting]) this.#answer(waiter);
    }, FEED_GATHER_MS);
  }

  /** Answers `res` with the events after `after`: at once when there are some, otherwise when they come. */
  wait(after: number, res: Response): void {
    // A number past the last is from before the workshop restarted: everything is new.
    const from = after > this.#last ? 0 : after;
    if (from < this.#last) return this.#send(res, from);
    if (this.#waiting.size >= FEED_MAX_WAITING) {
      res.set('Retry-After', '1').status(429).json({ error: `${FEED_MAX_WAITING} pages already follow this demo's events: close one, or try again in a second.` });
      return;
    }
    const waiter: FeedWaiter = { after: from, res, timer: setTimeout(() => this.#answer(waiter), FEED_HOLD_MS) };
    this.#waiting.add(waiter);
    res.on('close', () => this.#forget(waiter));
  }

  /** Answers every page still waiting, and keeps no timer. */
  close(): void {
    clearTimeout(this.#wake);
    for (const waiter of [...this.#waiting]) this.#answer(waiter);
  }

  #answer(waiter: FeedWaiter): void {
    this.#forget(waiter);
    if (!waiter.res.writableEnded) this.#send(waiter.res, waiter.after);
  }

  #forget(waiter: FeedWaiter): void {
    clearTimeout(waiter.timer);
    this.#waiting.delete(waiter);
  }

  #send(res: Response, after: number): void {
    res.json({ events: this.#events.filter((event) => event.seq > after), last: this.#last });
  }
}

/** A relay demo's two feeds: the relay the learner's code runs (`lessons`), and the reference's. */
type Feeds = Record<'lessons' | 'solutions', EventFeed>;

interface DemoAgent {
  stop(): void;
}

/**
 * The demo agent of `lesson` from `from` (agent.ts's startAgent, with protocol.ts's DEMO_AGENT
 * and DEMO_AGENT_SECRET), started against the relay at `relayUrl` and reporting to `feed`.
 * Throws when that code does not load or does not start.
 */
async function startDemoAgent(lesson: Lesson, from: string, relayUrl: string, feed: EventFeed): Promise<DemoAgent> {
  const folder = lessonFolder(lesson, from);
  const load = (file: string) => import(pathToFileURL(path.join(folder, file)).href) as Promise<Record<string, unknown>>;
  const [{ startAgent }, { DEMO_AGENT: name, DEMO_AGENT_SECRET: secret }] = await Promise.all([load('agent.ts'), load('protocol.ts')]);
  if (typeof startAgent !== 'function') throw new Error('agent.ts does not export startAgent()');
  if (typeof name !== 'string' || typeof secret !== 'string') throw new Error('protocol.ts does not export DEMO_AGENT and DEMO_AGENT_SECRET');
  const onError = (error: unknown) => feed.push({ at: Date.now(), lane: 'agent', agent: name, kind: 'error', problem: describeError(error) });
  const handle = (startAgent as (options: object) => { stop?: unknown } | undefined)({ relayUrl, name, secret, onEvent: (event: unknown) => feed.push(event), onError });
  const stop = handle?.stop;
  if (typeof stop !== 'function') throw new Error('startAgent() returned no stop()');
  return { stop: () => void stop.call(handle) };
}

/**
 * A lesson app mounted so that it can be made again (an event-stream demo's restart): requests
 * go to whichever app is current. `from` is the code it runs (the target, or `solutions`).
 */
class Restartable {
  /** The restart under way, if any: one asked for meanwhile gets its answer rather than a second restart. */
  restarting: Promise<number> | undefined;

  constructor(
    public app: LessonApp,
    readonly from: string,
  ) {}

  readonly handler: RequestHandler = (req, res, next) => {
    const current = this.app;
    return current(req, res, next);
  };
}

/** The workshop's own address, as the request came in: what its demo agents connect to. */
function ownUrl(req: Request): string {
  const address = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  return `http://${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort}`;
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
  // The pages also load the message catalog (shared/i18n: public text only).
  const base = devServable();
  const servable = { ...base, allow: [...base.allow, path.join(projectRoot, 'shared', 'i18n')] };
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
      // Only what pages load; a symlink is not followed (one back to the project loops).
      watch: { ignored: unwatched(servable), followSymlinks: false },
      allowedHosts: hosts.map(hostName),
      fs: { strict: true, allow: [...servable.allow], deny: [...viteDeny] },
    },
  });
  return { handler: pageGate(servable, projectRoot, true, vite.middlewares), close: () => vite.close() };
}

/** The lesson's text in `lang` (README.<lang>.md) if there is one, else in English; with the language it is in. */
async function lessonText(lesson: Lesson, lang: string | undefined): Promise<{ text: string; language: string }> {
  const folder = lessonFolder(lesson, 'lessons');
  const translated = lang && /^[a-z]{2}(-[A-Za-z]{2,4})?$/.test(lang) ? path.join(folder, `README.${lang}.md`) : undefined;
  const found = translated !== undefined && existsSync(translated);
  return { text: await readFile(found ? translated : path.join(folder, 'README.md'), 'utf8'), language: found ? lang! : 'en' };
}

export async function createWorkshop(options: WorkshopOptions = {}): Promise<Workshop> {
  const { target = 'lessons', dataRoot = projectRoot, built = false, hosts = [], log = (text: string) => console.error(text) } = options;
  const app = express();
  app.use(hostCheck(hosts), sameOrigin());
  const mounted: MountedLesson[] = [];
  const apps: LessonApp[] = [];
  const feeds = new Map<string, Feeds>();
  for (const lesson of lessons) if (lesson.demo?.kind === 'relay') feeds.set(lesson.slug, { lessons: new EventFeed(), solutions: new EventFeed() });
  // The relay demos' agents: the learner's (or the reference's, as for a server that does not
  // start) against the lesson's relay, and the reference's against the reference.
  const agents: DemoAgent[] = [];
  const startAgents = async (base: string): Promise<void> => {
    for (const [index, mount] of mounted.entries()) {
      const feed = feeds.get(mount.lesson.slug);
      if (!feed) continue;
      if (!mount.problem) {
        const agent = await targetOrReference(target, (from) => startDemoAgent(mount.lesson, from, `${base}${mount.apiPath}`, feed.lessons));
        if (!('value' in agent)) mounted[index] = { ...mount, agentProblem: agent.problem };
        else {
          agents.push(agent.value);
          if (agent.fallback !== undefined) mounted[index] = { ...mount, agentFallback: agent.fallback };
        }
      }
      try {
        agents.push(await startDemoAgent(mount.lesson, 'solutions', `${base}${mount.referencePath}`, feed.solutions));
      } catch (error) {
        log(`The reference demo agent of ${mount.lesson.slug} did not start: ${describeError(error)}`);
      }
    }
  };
  // They connect to the workshop's own port, which its first request tells (createWorkshop
  // runs before listen): they start then, and requests wait until they have.
  let agentsStarted: Promise<void> | undefined;
  let closing = false;
  if (feeds.size > 0) {
    app.use((req, _res, next) => {
      if (closing) return next();
      agentsStarted ??= startAgents(ownUrl(req));
      agentsStarted.then(() => next(), next);
    });
  }

  const start = async (lesson: Lesson, from: string, feed?: EventFeed): Promise<LessonApp> => {
    const options = { ...serveOptions(lesson, dataRoot), ...(feed ? { onEvent: (event: unknown) => feed.push(event) } : {}) };
    const started = await lessonApp(lesson, from, options, log);
    apps.push(started);
    return started;
  };
  // An event-stream demo's apps (the lesson's and the reference's), which the page may restart.
  const restartable = new Map<string, Partial<Record<'lessons' | 'solutions', Restartable>>>();
  /** What to mount for an app `from` that code: the app itself, or for an event-stream demo a handle the restart route can give a new app. */
  const mountable = (lesson: Lesson, root: 'lessons' | 'solutions', started: LessonApp, from: string): RequestHandler => {
    if (lesson.demo?.kind !== 'sse') return started;
    const handle = new Restartable(started, from);
    restartable.set(lesson.slug, { ...restartable.get(lesson.slug), [root]: handle });
    return handle.handler;
  };
  /**
   * Makes an event-stream lesson's app again from the same code, with the messages it kept:
   * the new one is made first, and only then is the old one shut down (its streams end, and
   * their EventSources reconnect to the new one), so that a restart that fails leaves the old
   * one serving. The code is loaded first, and an app that createApp() returns at once is
   * swapped in at once: nothing else runs between the copy of the history and the swap.
   */
  const restart = (lesson: Lesson, handle: Restartable): Promise<number> => {
    // One at a time: two at once would both shut down the same old app, and the app made first
    // would be lost track of (never shut down, and the one that serves after them not either).
    handle.restarting ??= remake(lesson, handle).finally(() => {
      handle.restarting = undefined;
    });
    return handle.restarting;
  };
  const remake = async (lesson: Lesson, handle: Restartable): Promise<number> => {
    const create = await lessonFactory(lesson, handle.from, log);
    const old = handle.app;
    if (typeof old.kept !== 'function') throw new Error('the app createApp() returned has no kept()');
    const kept = old.kept();
    const made = create({ ...serveOptions(lesson, dataRoot), initialMessages: kept });
    const fresh = made instanceof Promise ? await made : made;
    // A createApp() that took its time let the old app go on taking messages, which the new one lacks.
    const now = made instanceof Promise ? old.kept() : kept;
    if (now.length !== kept.length || JSON.stringify(now.at(-1)) !== JSON.stringify(kept.at(-1))) {
      fresh.shutdown?.();
      await fresh.close?.();
      throw new Error('messages came while the new app was being made (createApp() is async): the old one goes on serving; try again');
    }
    old.shutdown?.();
    handle.app = fresh;
    apps[apps.indexOf(old)] = fresh;
    return kept.length;
  };

  // The scale demos' processes, on one redis-server for the workshop (or the stand-in): started on first use.
  const redis = new SharedRedis();
  const clusters = new Map<string, Record<'lessons' | 'solutions', ScaleCluster>>();

  for (const lesson of lessons) {
    const apiPath = `/lessons/${lesson.slug}/api`;
    if (lesson.demo?.kind === 'scale') {
      const { demo } = lesson;
      const pair = {
        lessons: new ScaleCluster(lesson, demo, 'lessons', target, redis, log),
        solutions: new ScaleCluster(lesson, demo, 'solutions', 'solutions', redis, log),
      };
      clusters.set(lesson.slug, pair);
      app.use(`/lessons/${lesson.slug}`, pair.lessons.router);
      app.use(`/solutions/${lesson.slug}`, pair.solutions.router);
      mounted.push({ lesson, apiPath, referencePath: `/solutions/${lesson.slug}/api` });
      continue;
    }
    const where = {
      ...(lesson.page ? { pagePath: `/lessons/${lesson.slug}/${lesson.page}` } : {}),
      ...(lesson.demo ? { referencePath: `/solutions/${lesson.slug}/api` } : {}),
      ...(lesson.demo?.kind === 'bayeux' ? { clientScript: fayeBrowserClient } : {}),
    };
    const feed = feeds.get(lesson.slug);
    // A lesson not written yet may not even start (the chat needs its password hashing for
    // the demo accounts): the reference is served instead, and the site says so.
    const served = await targetOrReference(target, (from) => start(lesson, from, feed?.lessons));
    if ('value' in served) {
      app.use(prefixes('lessons', lesson), mountable(lesson, 'lessons', served.value, served.fallback === undefined ? target : 'solutions'));
      mounted.push({ lesson, apiPath, ...where, ...(served.fallback === undefined ? {} : { fallback: served.fallback }) });
    } else {
      app.use(prefixes('lessons', lesson), unavailable(served.problem));
      mounted.push({ lesson, apiPath, problem: served.problem });
    }
    if (lesson.demo) {
      const reference = await start(lesson, 'solutions', feed?.solutions).then(
        (started) => mountable(lesson, 'solutions', started, 'solutions'),
        (error: unknown) => unavailable(describeError(error)),
      );
      app.use(prefixes('solutions', lesson), reference);
    }
  }

  // `docs`: whether `npm run docs` has built the reference documentation (the site hides its link otherwise).
  app.get('/api/lessons', (_req, res) =>
    void res.json({ target, docs: existsSync(path.join(docsFolder, 'index.html')), lessons: mounted.map(({ lesson, ...rest }) => ({ ...lesson, ...rest })) }),
  );
  app.get('/api/progress', (_req, res) => void res.set('Cache-Control', 'no-store').json(readProgress()));
  // Which lessons have a last verify (a page asks for its own only then: no 404 in its console), and a lesson's, for its page.
  // The file is named by the manifest's slug, never by the request's text.
  app.get('/api/last-run', (_req, res) => void res.set('Cache-Control', 'no-store').json({ lessons: lessonsWithLastRun() }));
  app.get('/api/last-run/:slug', (req, res) => {
    res.set('Cache-Control', 'no-store');
    const lesson = lessons.find((l) => l.slug === req.params.slug);
    if (!lesson) return void res.status(404).json({ error: `There is no lesson ${req.params.slug}.` });
    const run = readLastRun(lesson);
    if (!run) return void res.status(404).json({ error: `Lesson ${lesson.slug} has no last run yet: npm run verify -- ${lesson.number}.` });
    res.json(run);
  });
  app.get('/api/lessons/:slug/text', async (req, res) => {
    const lesson = lessons.find((l) => l.slug === req.params.slug);
    if (!lesson) return void res.status(404).json({ error: `There is no lesson ${req.params.slug}.` });
    const lang = typeof req.query.lang === 'string' ? req.query.lang : undefined;
    const found = await lessonText(lesson, lang).catch(() => undefined);
    if (found === undefined) return void res.status(404).json({ error: `Lesson ${lesson.slug} has no text in lessons/${lesson.slug}/README.md.` });
    res.type('text/markdown; charset=utf-8').set('Content-Language', found.language).send(found.text);
  });
  app.get('/api/lessons/:slug/events', (req, res) => {
    const feed = feeds.get(req.params.slug);
    if (!feed) return void res.status(404).json({ error: `Lesson ${req.params.slug} has no relay demo, so no events.` });
    const { root, after = '0' } = req.query;
    if (root !== 'lessons' && root !== 'solutions') return void res.status(400).json({ error: '"root" must be lessons (the relay running your code) or solutions (the reference).' });
    if (typeof after !== 'string' || !/^\d{1,15}$/.test(after)) return void res.status(400).json({ error: '"after" must be the number of the last event you have, 0 for all.' });
    res.set('Cache-Control', 'no-store');
    feed[root].wait(Number(after), res);
  });
  app.post('/api/lessons/:slug/restart', express.json({ limit: '1kb' }), async (req, res) => {
    const { slug } = req.params;
    const lesson = lessons.find((l) => l.slug === slug);
    const handles = restartable.get(slug);
    if (!lesson || !handles) return void res.status(404).json({ error: `Lesson ${slug} has no event-stream demo, so no server to restart.` });
    // JSON only: a page of another site cannot send it without asking first (CORS), so it cannot restart the lesson.
    if (!req.is('application/json')) return void res.status(415).json({ error: 'Send the root as JSON: { "root": "lessons" } (your code) or { "root": "solutions" }.' });
    const root: unknown = (req.body as { root?: unknown } | undefined)?.root ?? 'lessons';
    if (root !== 'lessons' && root !== 'solutions') return void res.status(400).json({ error: '"root" must be lessons (the server running your code) or solutions (the reference).' });
    const handle = handles[root];
    if (!handle) return void res.status(503).json({ error: `This lesson's server (${root}) could not be loaded, so there is none to restart.` });
    if (closing) return void res.status(503).json({ error: 'The workshop is stopping: there is no server to restart.' });
    try {
      const kept = await restart(lesson, handle);
      res.set('Cache-Control', 'no-store').json({ restarted: slug, root, kept });
    } catch (error) {
      log(describeFailure(`the restart of ${root}/${slug}`, req, error));
      res.status(500).json({ error: `The server did not restart: ${describeError(error)}` });
    }
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
    clusters,
    async startProcesses() {
      await Promise.all([...clusters.values()].map((pair) => pair.lessons.ensure()));
    },
    async close() {
      closing = true;
      // A restart under way finishes first, so that the app it makes is shut down with the others.
      await Promise.allSettled([...restartable.values()].flatMap((handles) => Object.values(handles).map((handle) => handle.restarting)));
      await Promise.all([...clusters.values()].flatMap((pair) => [pair.lessons.close(), pair.solutions.close()]));
      await redis.close();
      await agentsStarted;
      for (const agent of agents.splice(0)) {
        try {
          agent.stop();
        } catch (error) {
          log(`A demo agent did not stop cleanly: ${describeError(error)}`);
        }
      }
      for (const feed of feeds.values()) for (const root of Object.values(feed)) root.close();
      for (const lessonHandler of apps) {
        lessonHandler.shutdown?.();
        await lessonHandler.close?.();
      }
      await pages.close();
    },
  };
}
