/**
 * What the workshop server lets a browser have, and from whom.
 *
 * - **Only this machine.** Every request must name the server as `localhost`, `127.0.0.1` or
 *   `[::1]` (any port) in its Host header, or one of the names given with `--host`; any other
 *   Host gets a 403. A web page the learner visits could otherwise point its own domain at
 *   127.0.0.1 (DNS rebinding) and read the chat. Nor may a page of another site change
 *   anything (CSRF): a request other than GET, HEAD or OPTIONS whose Origin is not this server
 *   gets a 403 too.
 * - **Only the site.** A page path is percent-decoded (twice-encoded input too), backslashes
 *   become slashes, `.` and `..` segments and `//` are resolved, and only then is it judged:
 *   the site (site/), the lessons' own pages (lessons/<slug>/<page>), the demos' client code
 *   (client.ts and protocol.ts of lessons/ and solutions/, and caller.ts for a relay demo,
 *   whose page is the caller), Vite's client and its pre-bundled
 *   dependencies; `/@fs/` only for files inside those. And one file of node_modules as npm
 *   ships it, at its own path only, when a lesson's demo is Bayeux: Faye's browser client. A symlink is judged by where it leads.
 *   Anything else, existing or not, gets the same 404; a path that does not decode, holds a NUL
 *   or climbs above the root gets it too. What is passed on is the normalised path, so what
 *   was judged is what is served.
 *
 * @module
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Request, RequestHandler, Response } from 'express';
import { lessons, type Lesson } from './manifest.ts';
import { isInside, lessonsRoot, projectRoot, solutionsRoot } from './paths.ts';

/** The Host names every workshop server answers to. */
export const localHosts: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** A host name as it appears in a Host header: lower case, an IPv6 address in brackets. */
export function hostName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

/** The one answer for anything not served, whether it exists or not. */
export function notFound(req: Request, res: Response): void {
  const where = req.originalUrl.split('?')[0];
  res.status(404).json({ error: `There is nothing at ${req.method} ${where}.` });
}

/** Refuses (403) any request whose Host is not this machine or one of `extraHosts`. */
export function hostCheck(extraHosts: readonly string[] = []): RequestHandler {
  const allowed = new Set([...localHosts, ...extraHosts].map(hostName));
  const allowedName = (host: string): boolean => {
    const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]]+)(?::(\d{1,5}))?$/i.exec(host);
    return match !== null && allowed.has(match[1]!.toLowerCase()) && (match[2] === undefined || Number(match[2]) <= 65_535);
  };
  return (req, res, next) => {
    const host = req.headers.host ?? '';
    // One Host header only (Node would keep the first of two), and a request line in absolute
    // form (GET http://name/...) names its host too: both must be this machine.
    const hostHeaders = req.rawHeaders.filter((value, index) => index % 2 === 0 && value.toLowerCase() === 'host').length;
    const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(req.url)?.[1];
    if (hostHeaders === 1 && allowedName(host) && (absolute === undefined || allowedName(absolute))) return next();
    res.status(403).json({
      error:
        `This workshop server answers only to ${[...allowed].join(', ')}, not to the Host "${host}". ` +
        'To reach it under another name, start it with --host NAME.',
    });
  };
}

/** Methods that only read: a page of another site may send them (it cannot read the answer). */
const readOnly = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses (403) a request from a page of another site that is not a link followed (below), and
 * a request that may change something (any method but GET, HEAD and OPTIONS) from
 * a page of another site: one whose Origin is not this server as its Host names it (a browser
 * sends Origin with every such request; Node's clients and the graders send none). A form of
 * another site can post to 127.0.0.1 without asking first (CSRF): to a lesson's API that takes a
 * form body, as Bayeux's does, or to a learner's that reads any body.
 */
export function sameOrigin(): RequestHandler {
  const hostOf = (url: string): string | undefined => {
    try {
      return new URL(url).host;
    } catch {
      return undefined;
    }
  };
  return (req, res, next) => {
    if (fromAnotherSitesPage(req)) {
      res.status(403).json({ error: 'This workshop server answers only its own pages: a page of another site asked (Sec-Fetch-Site: cross-site). Open the workshop at its own address instead.' });
      return;
    }
    const { origin } = req.headers;
    if (readOnly.has(req.method) || origin === undefined) return next();
    const own = hostOf(`http://${req.headers.host ?? ''}`);
    if (own !== undefined && hostOf(origin) === own) return next();
    res.status(403).json({ error: `This workshop server takes changes only from its own pages, not from a page of ${origin}.` });
  };
}

/**
 * A browser says where a request comes from in Sec-Fetch-Site. One from a page of another site
 * that is not a plain link followed (an <img>, a <script>, a no-cors fetch) is refused even
 * when it only reads: such a GET may still start work, such as lesson 09's three processes or
 * lesson 07's demo agent. Following a link from elsewhere is a navigation, and is served.
 * Clients that send no Sec-Fetch-Site (Node, curl, the graders) are not browsers' pages.
 */
function fromAnotherSitesPage(req: Request): boolean {
  if (req.headers['sec-fetch-site'] !== 'cross-site') return false;
  const followedLink = req.headers['sec-fetch-mode'] === 'navigate' && req.method === 'GET' && !['object', 'embed'].includes(String(req.headers['sec-fetch-dest']));
  return !followedLink;
}

/**
 * The path of `url` (its query cut off) decoded and normalised, or undefined when it does not
 * normalise cleanly: malformed or encoded more than three times, a NUL or other control character,
 * an encoded `?` or `#`, or `..` above the root. Backslashes count as slashes; the result never holds `%`, `\`,
 * `.` or `..` segments, or `//`.
 */
export function normalisePath(url: string): string | undefined {
  let decoded = url.split('?')[0]!;
  for (let round = 0; round < 3 && decoded.includes('%'); round++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return undefined;
    }
  }
  if (!decoded.startsWith('/') || /[%?#\u0000-\u001f\u007f]/.test(decoded)) return undefined;
  const segments: string[] = [];
  const parts = decoded.replaceAll('\\', '/').split('/');
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!segments.pop()) return undefined;
    } else segments.push(part);
  }
  const last = parts.at(-1);
  const folder = segments.length > 0 && (last === '' || last === '.' || last === '..');
  return `/${segments.join('/')}${folder ? '/' : ''}`;
}

/** Where `file` really is, symlinks followed; for a missing file, its nearest existing folder's real path and the rest. */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    const parent = path.dirname(file);
    return parent === file ? file : path.join(realPath(parent), path.basename(file));
  }
}

/** Folders and files a browser may have: those of the dev server, or all of a built site. */
export interface ServableSet {
  /** For Vite's `server.fs.allow`. */
  readonly allow: readonly string[];
  /** Vite's own modules, which are not files: `/@vite/client`, `/@vite/env`. */
  readonly virtual: readonly string[];
  /** Folders whose files may be asked for before they are written (Vite's pre-bundled deps); any other missing file is a 404. */
  readonly pending: readonly string[];
}

/** The files of a lesson that its page runs in the browser: its client code and its contract (for a relay demo, the caller library). */
function clientFiles(lesson: Lesson): string[] {
  return ['client.ts', 'protocol.ts', ...(lesson.demo?.kind === 'relay' ? ['caller.ts'] : [])];
}

/** What the dev server serves: the site, the lessons' pages and client code, Vite's client and deps. */
export function devServable(): ServableSet {
  const files = lessons.flatMap((lesson) => [lessonsRoot, solutionsRoot].flatMap((root) => clientFiles(lesson).map((file) => path.join(root, lesson.slug, file))));
  const pages = lessons.flatMap((lesson) => (lesson.page ? [path.join(lessonsRoot, lesson.slug, lesson.page)] : []));
  const deps = path.join(projectRoot, 'node_modules', '.vite');
  return {
    allow: [path.join(projectRoot, 'site'), ...pages, ...files.filter((file) => existsSync(file)), path.join(projectRoot, 'node_modules', 'vite', 'dist', 'client'), deps],
    virtual: ['/@vite/client', '/@vite/env'],
    pending: [deps],
  };
}

/**
 * What Vite's file watcher leaves alone: everything but the servable files and the folders on
 * the way to them. Watching the whole project would walk .workshop/ (the chat's data, graders'
 * scratch copies, even a symlink back to the project, which loops) and every test and bench
 * file, for pages that load none of them.
 */
export function unwatched(servable: Pick<ServableSet, 'allow'>): (file: string) => boolean {
  return (file) => {
    const resolved = path.resolve(file);
    return !servable.allow.some((allowed) => isInside(resolved, allowed) || isInside(allowed, resolved));
  };
}

/** Where the Bayeux demo's clients come from: Faye's browser client, as npm ships it. */
export const fayeBrowserClient = '/node_modules/faye/client/faye-browser-min.js';

/**
 * The files of node_modules that pages load as npm ships them, by the path they are served at:
 * Faye's browser client when a lesson's demo is Bayeux, and nothing else.
 */
export function shippedFiles(): ReadonlyMap<string, string> {
  const bayeux = lessons.some((lesson) => lesson.demo?.kind === 'bayeux');
  return new Map(bayeux ? [[fayeBrowserClient, path.join(projectRoot, fayeBrowserClient)]] : []);
}

/**
 * Serves each of `files` (path → file) byte for byte, whether the site is Vite's or built: a
 * GET or HEAD whose normalised path is one of them. Any other request goes on.
 */
export function shippedGate(files: ReadonlyMap<string, string>): RequestHandler {
  return (req, res, next) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? files.get(normalisePath(req.url) ?? '') : undefined;
    if (!file) return next();
    res.sendFile(file, { headers: { 'Cache-Control': 'no-cache' } }, (error) => {
      if (error && !res.headersSent) notFound(req, res);
    });
  };
}

/** Vite's `server.fs.deny`: its own defaults and the project's private files. */
export const viteDeny: readonly string[] = [
  '.env',
  '.env.*',
  '*.{crt,pem,key,p12,pfx,cer,der}',
  '.npmrc',
  '.yarnrc.yml',
  '**/.git/**',
  '**/data/**',
  '*.sqlite*',
];

/**
 * A gate in front of `serve`: a path that normalises into `servable` is passed on with the
 * normalised path (its query kept), anything else gets {@link notFound}. `root` is the folder
 * that a plain path names (the project, or the built site); `/@fs/` paths name files directly
 * when `fsPrefix` is true.
 */
export function pageGate(servable: ServableSet, root: string, fsPrefix: boolean, serve: RequestHandler): RequestHandler {
  const named = servable.allow.map((entry) => path.resolve(entry));
  const real = named.map((entry) => realPath(entry));
  const inside = (file: string, entries: readonly string[]): boolean => entries.some((entry) => isInside(file, entry));
  return (req, res, next) => {
    const normal = normalisePath(req.url);
    if (normal === undefined) return notFound(req, res);
    if (!servable.virtual.includes(normal)) {
      const file = fsPrefix && normal.startsWith('/@fs/') ? normal.slice('/@fs'.length) : path.join(root, normal);
      if (!inside(path.resolve(file), named) || !inside(realPath(file), real)) return notFound(req, res);
      if (!existsSync(file) && !inside(file, servable.pending)) return notFound(req, res);
    }
    const query = req.url.indexOf('?');
    req.url = encodeURI(normal) + (query >= 0 ? req.url.slice(query) : '');
    serve(req, res, next);
  };
}
