/**
 * A scale demo (lesson 09) in the workshop: the lesson's server as several processes that share
 * one broker, each reachable on its own, one of them killable from the page.
 *
 * - **With redis-server installed**: one private redis-server (shared/redis.ts) for the
 *   workshop, and the lesson's given `main.ts` run once per process name as a child process
 *   (`--port 0 --redis <url> --name A --prefix comet-workshop-<root>`). The learner's code,
 *   or the reference's (with the reason) when the learner's does not start; the reference
 *   (`/solutions/…`) has processes of its own, on keys of its own.
 * - **Without it**: the same number of apps (server.ts's createApp) in the workshop's own
 *   process, on one stand-in broker (the lesson's stand-in.ts), and the API says so and how to
 *   install redis-server.
 *
 * Routes, under `/<root>/<slug>` (each behind the workshop's Host check):
 * - `GET /processes`: the mode and each process's state;
 * - `/p/<name>/api/…`: that process's API (proxied to the child, or its app); 503 while it is down;
 * - `POST /p/<name>/kill` (JSON only, as every state-changing route of the workshop): SIGKILL
 *   (or, on the stand-in, the app dropped with its connections cut, as a kill cuts them), and
 *   started again after {@link RESTART_MS};
 * - `/api/…` and `/c/<client>/api/…`: any running process, in turn (a load balancer).
 *
 * Nothing starts until one of these routes is asked (or {@link ScaleCluster.ensure} is called):
 * a workshop whose page is never opened runs no redis-server, and a request these routes refuse
 * anyway (a name that is not a process's, a kill not in JSON) starts nothing. `close()` stops
 * every process and the redis-server; a process of this module that is still running when Node
 * exits is killed, and one whose workshop died without exiting (SIGKILL, a worker ended) ends
 * by itself (shared/parent-guard.ts).
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { describeError } from './grading/failure.ts';
import { awaitListening } from './listening.ts';
import { lessonFolder } from './grading/targets.ts';
import type { Lesson, ScaleDemo } from './manifest.ts';
import { projectRoot } from './paths.ts';
import { redisAvailable, startRedis, type RedisServer } from './redis.ts';

/** How long a killed process stays down before the workshop starts it again. */
export const RESTART_MS = 3000;
/** How long a process may take to print `listening <url>` (Node and tsx start included, on a busy machine). */
const START_MS = 30_000;
/** Restarts of processes that exited by themselves (not killed from the page) before the workshop gives up on one. */
const MAX_CRASHES = 5;
const parentGuard = pathToFileURL(path.join(projectRoot, 'shared', 'parent-guard.ts')).href;
/** What the page shows in stand-in mode. */
export const STAND_IN_NOTE = 'stand-in: install redis-server (apt-get install redis-server) for the real thing';

export type ProcessState = 'starting' | 'running' | 'killed' | 'exited' | 'failed';

/** One process as the page reads it. */
export interface ProcessView {
  readonly name: string;
  readonly state: ProcessState;
  /** Starts so far, from 1: a new number means a new process (or app). */
  readonly generation: number;
  /** The child's process id (redis mode, while it runs). */
  readonly pid?: number;
  /** Date.now() of its last change of state. */
  readonly since: number;
  /** Date.now() when it starts again, while killed or exited. */
  readonly restartAt?: number;
  /** Why it exited or failed. */
  readonly problem?: string;
}

export interface ClusterView {
  readonly mode: 'redis' | 'stand-in';
  /** In words: what the processes share. */
  readonly broker: string;
  /** In stand-in mode: {@link STAND_IN_NOTE}, and why redis-server is not used. */
  readonly note?: string;
  readonly why?: string;
  /** Set when the target's code did not start and the reference runs instead. */
  readonly fallback?: string;
  /** Set when no process could be started at all. */
  readonly problem?: string;
  readonly processes: readonly ProcessView[];
}

/** The broker interface of lesson 09's broker.ts (see the lesson's contract), as far as the workshop uses it. */
interface Broker {
  readonly kind: string;
  append(text: string): Promise<unknown>;
  history(): Promise<unknown[]>;
  follow(after: number, onMessage: (message: unknown) => void, onReset: (history: unknown[]) => void): void;
  close(): Promise<void>;
  /** The stand-in's: another connection to the same store. */
  connect?: () => Broker;
}

type ScaleApp = http.RequestListener & { shutdown?: () => unknown };

/** One process (or, on the stand-in, one app) of a cluster. */
interface Member {
  readonly name: string;
  view(): ProcessView;
  readonly handler: RequestHandler;
  /** Kills it (SIGKILL, or drops the app with its connections cut) and starts it again after RESTART_MS. */
  kill(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/** The redis-server a workshop shares between its clusters: started on first use, or the reason there is none. */
export class SharedRedis {
  #started: Promise<RedisServer | { why: string }> | undefined;
  #closed = false;

  get(): Promise<RedisServer | { why: string }> {
    this.#started ??= (async () => {
      const why = redisAvailable();
      if (why) return { why };
      try {
        const server = await startRedis();
        if (this.#closed) {
          await server.stop();
          return { why: 'the workshop is closing' };
        }
        return server;
      } catch (error) {
        return { why: `redis-server did not start: ${describeError(error)}` };
      }
    })();
    return this.#started;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const server = await this.#started;
    if (server && 'stop' in server) await server.stop();
  }
}

/** Children of this module still running: killed if Node exits first (a workshop that was not closed). */
const children = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const orphan of children) orphan.kill('SIGKILL');
    });
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function json(res: Response, status: number, body: object, headers: Record<string, string> = {}): void {
  res.status(status).set({ 'Cache-Control': 'no-store', ...headers }).json(body);
}

/** 503 for a process that is not running, saying why and when it is back. */
function down(res: Response, view: ProcessView): void {
  const back = view.restartAt === undefined ? undefined : Math.max(0, view.restartAt - Date.now());
  const what =
    view.state === 'starting'
      ? 'is starting'
      : view.state === 'killed'
        ? 'was killed (kill -9)'
        : view.state === 'exited'
          ? `exited by itself (${view.problem ?? 'no reason given'})`
          : `could not be started (${view.problem ?? 'no reason given'})`;
  const when = back === undefined ? '' : ` The workshop starts it again in ${Math.ceil(back / 1000)} s.`;
  json(res, 503, { error: `Process ${view.name} ${what}.${when}`, process: view.name, state: view.state }, { 'Retry-After': String(Math.max(1, Math.ceil((back ?? 1000) / 1000))) });
}

/** Headers that belong to one connection, not to the request or answer passed on. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const passOn = (headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));

/** Passes `req` on to the process at `url` and its answer back; a process that dies mid-request is a 502 (or a cut connection once the answer has begun). */
function proxy(req: Request, res: Response, url: string, name: string, agent: http.Agent): void {
  const { hostname, port } = new URL(url);
  const headers = { ...passOn(req.headers), host: `${hostname}:${port}` };
  // The body's framing goes on too: without it Node would send a chunked GET's (or DELETE's) body
  // bare, and the process would read it as a request of its own (request smuggling).
  if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
  const upstream = http.request({ host: hostname, port, method: req.method, path: req.url, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, passOn(answer.headers));
    answer.pipe(res);
    answer.on('error', () => res.destroy());
    answer.on('aborted', () => res.destroy());
  });
  upstream.on('error', (error) => {
    if (res.writableEnded || res.destroyed) return;
    if (res.headersSent) return void res.destroy();
    json(res, 502, { error: `Process ${name} closed the connection without answering (${describeError(error)}): it died, or was killed.`, process: name });
  });
  // The client left (or was cut off): so does the request to the process, which forgets the poll.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** The lesson's options for its processes, as main.ts's flags. */
function mainFlags(serve: Readonly<Record<string, unknown>> | undefined): string[] {
  const flags: string[] = [];
  if (typeof serve?.holdMs === 'number') flags.push('--hold-ms', String(serve.holdMs));
  if (typeof serve?.historyLimit === 'number') flags.push('--history-limit', String(serve.historyLimit));
  return flags;
}

/** The last `max` characters of a process's output, for a problem's description. */
const tail = (text: string, max = 600): string => (text.length > max ? `…${text.slice(-max)}` : text).trim();

/** A member's state, as {@link ProcessView} reports it. */
class Status {
  state: ProcessState = 'starting';
  /** Starts so far. */
  generation = 0;
  since = Date.now();
  restartAt: number | undefined;
  problem: string | undefined;

  constructor(readonly name: string) {}

  /** A new state, from now, with when it starts again and why (each unset unless given). */
  set(state: ProcessState, extra: { restartAt?: number; problem?: string } = {}): void {
    this.state = state;
    this.since = Date.now();
    this.restartAt = extra.restartAt;
    this.problem = extra.problem;
  }

  /** A new start: `starting`, and the next generation. */
  starting(): void {
    this.generation++;
    this.set('starting');
  }

  view(pid?: number): ProcessView {
    return {
      name: this.name,
      state: this.state,
      generation: this.generation,
      since: this.since,
      ...(this.state === 'running' && pid !== undefined ? { pid } : {}),
      ...(this.restartAt === undefined ? {} : { restartAt: this.restartAt }),
      ...(this.problem === undefined ? {} : { problem: this.problem }),
    };
  }
}

/** A process of the lesson's main.ts, started again after it is killed (or exits by itself). */
class ChildMember implements Member {
  readonly #status: Status;
  #child: ChildProcess | undefined;
  #url: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #crashes = 0;
  readonly #agent = new http.Agent({ keepAlive: true });

  constructor(
    readonly name: string,
    readonly folder: string,
    readonly args: readonly string[],
    readonly log: (text: string) => void,
  ) {
    this.#status = new Status(name);
  }

  view(): ProcessView {
    return this.#status.view(this.#child?.pid);
  }

  /** Starts the process and resolves once it listens; rejects (state `failed`) with its output when it does not. */
  async start(): Promise<void> {
    this.#status.starting();
    const main = path.join(this.folder, 'main.ts');
    // With an IPC channel that parent-guard.ts watches: should the workshop die without closing, so does the process.
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', parentGuard, main, '--port', '0', '--name', this.name, ...this.args], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // A group of its own: Ctrl+C in the terminal reaches the workshop, which stops it (rather than it exiting first, and being started again).
      detached: true,
    });
    track(child);
    this.#child = child;
    const { url, output } = await awaitListening(child, START_MS);
    if (!url || this.#stopping) {
      const how = child.exitCode !== null ? `it exited with code ${child.exitCode}` : child.signalCode ? `it was ended by ${child.signalCode}` : `it printed no "listening http://…" line within ${START_MS / 1000} s`;
      await this.#end(child, 'SIGKILL');
      const problem = `${path.relative(projectRoot, main)} --name ${this.name} did not start: ${how}. Its output:\n${tail(output) || '(none)'}`;
      this.#status.set('failed', { problem });
      throw new Error(problem);
    }
    // From now on, what it prints goes to the workshop's log, a line at a time, named.
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) if (line.trim()) this.log(`[${path.basename(this.folder)} ${this.name}] ${line}`);
      });
    }
    this.#url = url;
    this.#status.set('running');
    child.once('exit', (code, signal) => this.#exited(child, code, signal, output));
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, output: string): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    this.#url = undefined;
    if (this.#stopping) return;
    if (this.#status.state !== 'killed') {
      // By itself: a crash, or a signal from outside the workshop.
      this.#crashes++;
      const problem = `exit ${signal ?? `code ${code}`}`;
      if (this.#crashes > MAX_CRASHES) {
        this.#status.set('failed', { problem: `${problem}, ${this.#crashes} times: not started again. Its first output:\n${tail(output)}` });
        return;
      }
      this.log(`[${path.basename(this.folder)} ${this.name}] exited by itself (${problem}); the workshop starts it again in ${RESTART_MS / 1000} s.`);
      this.#status.set('exited', { problem, restartAt: Date.now() + RESTART_MS });
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      this.start().catch((error: unknown) => this.log(describeError(error)));
    }, Math.max(0, (this.#status.restartAt ?? Date.now()) - Date.now()));
  }

  readonly handler: RequestHandler = (req, res) => {
    if (this.#status.state !== 'running' || !this.#url) return down(res, this.view());
    proxy(req, res, this.#url, this.name, this.#agent);
  };

  async kill(): Promise<void> {
    const child = this.#child;
    if (this.#status.state !== 'running' || !child) return;
    this.#status.set('killed', { restartAt: Date.now() + RESTART_MS });
    await this.#end(child, 'SIGKILL');
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    if (child) {
      // SIGTERM: main.ts shuts down (held polls "cancelled") and exits; one that hangs is killed.
      const forced = setTimeout(() => child.kill('SIGKILL'), 3000);
      await this.#end(child, 'SIGTERM');
      clearTimeout(forced);
    }
    this.#agent.destroy();
  }

  /** Sends `signal` unless it has exited, and resolves once it has. */
  #end(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

/**
 * One app's view of a shared stand-in broker without connect(): its close() only stops what
 * this app follows (the other apps keep the broker), so that a killed app can be dropped alone.
 */
function brokerView(broker: Broker): Broker {
  let closed = false;
  return {
    kind: broker.kind,
    append: (text) => broker.append(text),
    history: () => broker.history(),
    follow: (after, onMessage, onReset) =>
      broker.follow(
        after,
        (message) => {
          if (!closed) onMessage(message);
        },
        (history) => {
          if (!closed) onReset(history);
        },
      ),
    close: async () => {
      closed = true;
    },
  };
}

type CreateScaleApp = (options: object) => Promise<ScaleApp> | ScaleApp;

/** An app of the lesson's server.ts in this process, on its view of the stand-in broker. */
class AppMember implements Member {
  readonly #status: Status;
  #app: ScaleApp | undefined;
  #broker: Broker | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  /** Requests it is answering: a kill cuts their connections, as SIGKILL would. */
  readonly #open = new Set<Request>();

  constructor(
    readonly name: string,
    readonly createApp: CreateScaleApp,
    readonly broker: Broker,
    readonly options: Readonly<Record<string, unknown>>,
    readonly log: (text: string) => void,
  ) {
    this.#status = new Status(name);
  }

  view(): ProcessView {
    return this.#status.view();
  }

  async start(): Promise<void> {
    this.#status.starting();
    // A connection of its own to the shared store (stand-in.ts's connect()), as a process has to Redis.
    const broker = typeof this.broker.connect === 'function' ? this.broker.connect() : brokerView(this.broker);
    try {
      const app = await this.createApp({ ...this.options, broker, name: this.name });
      if (typeof app !== 'function') throw new Error('createApp() did not resolve with a request handler');
      this.#app = app;
      this.#broker = broker;
      this.#status.set('running');
    } catch (error) {
      await broker.close();
      this.#status.set('failed', { problem: `createApp() failed: ${describeError(error)}` });
      throw error;
    }
    if (this.#stopping) await this.#drop();
  }

  readonly handler: RequestHandler = (req, res, next) => {
    const app = this.#app;
    if (this.#status.state !== 'running' || !app) return down(res, this.view());
    this.#open.add(req);
    res.once('close', () => this.#open.delete(req));
    try {
      app(req, res);
    } catch (error) {
      next(error);
    }
  };

  /** Cuts the connections of the requests it answers (as a killed process's close), then shuts it down with nothing left to answer. */
  async #drop(): Promise<void> {
    for (const req of [...this.#open]) req.socket.destroy();
    this.#open.clear();
    const app = this.#app;
    const broker = this.#broker;
    this.#app = undefined;
    this.#broker = undefined;
    try {
      await app?.shutdown?.();
    } catch (error) {
      this.log(`Process ${this.name} (stand-in) did not shut down cleanly: ${describeError(error)}`);
    }
    await broker?.close();
  }

  async kill(): Promise<void> {
    if (this.#status.state !== 'running') return;
    this.#status.set('killed', { restartAt: Date.now() + RESTART_MS });
    await this.#drop();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      this.start().catch((error: unknown) => this.log(`Process ${this.name} (stand-in) did not start again: ${describeError(error)}`));
    }, RESTART_MS);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#drop();
  }
}

/** The lesson's code in `folder`: its server's createApp() and its stand-in broker. */
async function loadStandIn(folder: string): Promise<{ createApp: CreateScaleApp; createStandInBroker: (options: object) => Broker }> {
  const load = (file: string) => import(pathToFileURL(path.join(folder, file)).href) as Promise<Record<string, unknown>>;
  const [{ createApp }, { createStandInBroker }] = await Promise.all([load('server.ts'), load('stand-in.ts')]);
  if (typeof createApp !== 'function') throw new Error('server.ts does not export createApp()');
  if (typeof createStandInBroker !== 'function') throw new Error('stand-in.ts does not export createStandInBroker()');
  return { createApp: createApp as CreateScaleApp, createStandInBroker: createStandInBroker as (options: object) => Broker };
}

type Root = 'lessons' | 'solutions';

/**
 * The processes of one lesson for one root (`lessons`: the workshop's target, `solutions`: the
 * reference), and the routes that reach them.
 */
export class ScaleCluster {
  #members: Member[] = [];
  #mode: 'redis' | 'stand-in' = 'redis';
  #broker = '';
  #why: string | undefined;
  #fallback: string | undefined;
  #problem: string | undefined;
  #started: Promise<void> | undefined;
  #standIn: Broker | undefined;
  #closed = false;
  #next = 0;
  readonly router = express.Router();

  constructor(
    readonly lesson: Lesson,
    readonly demo: ScaleDemo,
    readonly root: Root,
    /** Whose code the processes run: the workshop's target for `lessons`, `solutions` for the reference. */
    readonly target: string,
    readonly redis: SharedRedis,
    readonly log: (text: string) => void,
  ) {
    // Only the cluster's own routes start it: any other path under the lesson goes on, untouched.
    const ready: RequestHandler = (_req, _res, next) => void this.ensure().then(() => next(), next);
    // What the processes would refuse anyway is refused before they start: a name that is not theirs, a kill not in JSON.
    const named: RequestHandler = (req, res, next) => {
      if (demo.processes.includes(String(req.params.name))) return next();
      json(res, 404, { error: `Lesson ${lesson.slug} has no process ${String(req.params.name)}: its processes are ${demo.processes.join(', ')}.` });
    };
    // JSON only: a page of another site cannot send it without asking first (CORS), so it cannot kill a process.
    const jsonOnly: RequestHandler = (req, res, next) => {
      if (req.is('application/json')) return next();
      json(res, 415, { error: 'Send {} as JSON (Content-Type: application/json) to kill a process.' });
    };
    /** The process named in `req`, or undefined once `res` is answered 503: none started. */
    const member = (req: Request, res: Response): Member | undefined => {
      const found = this.#member(String(req.params.name));
      if (!found) json(res, 503, { error: `Lesson ${lesson.slug}: ${this.#problem ?? 'its processes did not start'}.` }, { 'Retry-After': '1' });
      return found;
    };
    this.router.get('/processes', ready, (_req, res) => json(res, 200, this.view()));
    this.router.post('/p/:name/kill', named, jsonOnly, ready, async (req, res) => {
      const target = member(req, res);
      if (!target) return;
      const before = target.view();
      if (before.state !== 'running') return json(res, 409, { error: `Process ${target.name} is not running (it is ${before.state}): there is nothing to kill.`, state: before.state });
      await target.kill();
      json(res, 200, { killed: target.name, ...(before.pid === undefined ? {} : { pid: before.pid }), restartInMs: RESTART_MS });
    });
    this.router.use('/p/:name/api', named, ready, (req, res, next) => member(req, res)?.handler(req, res, next));
    // The lesson's API behind one address, as behind a load balancer: the running processes in turn.
    this.router.use(['/api', '/c/:client/api'], ready, (req, res, next) => {
      const running = this.#members.filter((m) => m.view().state === 'running');
      if (running.length === 0) {
        const why = this.#problem ?? `none of the processes ${this.demo.processes.join(', ')} runs right now`;
        return json(res, 503, { error: `Lesson ${lesson.slug}: ${why}.` }, { 'Retry-After': '1' });
      }
      running[this.#next++ % running.length]!.handler(req, res, next);
    });
  }

  #member(name: string): Member | undefined {
    return this.#members.find((m) => m.name === name);
  }

  view(): ClusterView {
    return {
      mode: this.#mode,
      broker: this.#broker,
      ...(this.#mode === 'stand-in' ? { note: STAND_IN_NOTE } : {}),
      ...(this.#why === undefined ? {} : { why: this.#why }),
      ...(this.#fallback === undefined ? {} : { fallback: this.#fallback }),
      ...(this.#problem === undefined ? {} : { problem: this.#problem }),
      processes: this.#members.map((m) => m.view()),
    };
  }

  /** Starts the processes (once); resolves when each has started or failed. */
  ensure(): Promise<void> {
    this.#started ??= this.#start().catch((error: unknown) => {
      this.#problem = describeError(error);
    });
    return this.#started;
  }

  async #start(): Promise<void> {
    const redis = await this.redis.get();
    if (this.#closed) return;
    if ('why' in redis) {
      this.#mode = 'stand-in';
      this.#why = redis.why;
      this.#broker = 'one stand-in broker in the workshop’s own process (the lesson’s stand-in.ts), not Redis';
      await this.#withFallback((from) => this.#startStandIn(from));
    } else {
      this.#mode = 'redis';
      this.#broker = `a private redis-server at ${redis.url} (append-only file, appendfsync always), its keys prefixed comet-workshop-${this.root}`;
      const args = ['--redis', redis.url, '--prefix', `comet-workshop-${this.root}`, ...mainFlags(this.lesson.serve)];
      await this.#withFallback((from) => this.#startChildren(lessonFolder(this.lesson, from), args));
    }
  }

  /** `attempt(target)`, and when it fails and the target is not the reference, `attempt('solutions')` with the reason. */
  async #withFallback(attempt: (from: string) => Promise<void>): Promise<void> {
    try {
      await attempt(this.target);
    } catch (error) {
      const problem = describeError(error);
      if (this.target === 'solutions' || this.#closed) throw error;
      this.log(`Lesson ${this.lesson.slug}: your code did not start (${problem}); the reference solution runs instead.`);
      await attempt('solutions');
      this.#fallback = problem;
    }
  }

  /** Every process at once; if one does not start, the others are stopped and it throws. */
  async #startChildren(folder: string, args: readonly string[]): Promise<void> {
    const members = this.demo.processes.map((name) => new ChildMember(name, folder, args, this.log));
    this.#members = members;
    const started = await Promise.allSettled(members.map((m) => m.start()));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (!failed) return;
    await Promise.all(members.map((m) => m.stop()));
    throw failed.reason;
  }

  async #startStandIn(from: string): Promise<void> {
    const { createApp, createStandInBroker } = await loadStandIn(lessonFolder(this.lesson, from));
    const options = { ...this.lesson.serve };
    const broker = createStandInBroker(typeof options.historyLimit === 'number' ? { historyLimit: options.historyLimit } : {});
    const members = this.demo.processes.map((name) => new AppMember(name, createApp, broker, options, this.log));
    this.#members = members;
    const started = await Promise.allSettled(members.map((m) => m.start()));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(members.map((m) => m.stop()));
      await broker.close();
      throw failed.reason;
    }
    this.#standIn = broker;
  }

  /** Stops every process (and the stand-in broker); the redis-server is the workshop's to stop. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#started;
    await Promise.all(this.#members.map((m) => m.stop()));
    await this.#standIn?.close();
  }
}
