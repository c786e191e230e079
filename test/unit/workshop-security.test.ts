/**
 * The workshop dev server (`npm start`) attacked for real: createWorkshop() + listen() on
 * 127.0.0.1 port 0, the reference solutions, and a data folder inside the project that holds
 * a real SQLite chat database with a canary row. Over a thousand traversal probes (encoded,
 * double-encoded, backslashed, mixed-case, `/@fs/`, `/@id/`, `?raw`/`?import`/`?url`/`?inline`,
 * a symlink in site/ that points outside) must each get a 404 and no byte of any private file;
 * the pages must still load; every route must refuse a foreign Host; and the process must
 * listen on one port only, on 127.0.0.1. The same again for `npm run serve` (`--built`), on a
 * build of the site made for the test in a temporary folder.
 *
 * Each run writes what it found to .workshop/security-report.txt.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import initSqlJs from 'sql.js';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listen, type Listening } from '../../shared/http.ts';
import { rawExchange } from '../../shared/grading/raw-http.ts';
import { projectRoot, workRoot } from '../../shared/paths.ts';
import { lessons } from '../../shared/manifest.ts';
import { fayeBrowserClient } from '../../shared/serving.ts';
import { createWorkshop, type Workshop } from '../../shared/workshop-server.ts';

const WHERE = 'shared/workshop-server.ts (the page gate in front of Vite, the Host check, Vite server options) and shared/http.ts (listen)';
const id = randomUUID().slice(0, 8);
const canary = (name: string): string => `CANARY-${name}-${id}-${randomUUID()}`;

/** The learner's data folder for this run: inside the project (git-ignored), as data/ is. */
const scratch = path.join(workRoot, `security-probe-${id}`);
const scratchRelative = path.relative(projectRoot, scratch);
const symlinkFile = path.join(projectRoot, 'site', `security-probe-${id}.txt`);
const symlinkDir = path.join(projectRoot, 'site', `security-probe-${id}-dir`);
/** The site built for `--built` (npm run build), with the same two symlinks in its site/. */
const builtFolder = path.join(os.tmpdir(), `comet-security-built-${id}`);
const reportFile = path.join(workRoot, 'security-report.txt');

/** Secrets this test plants: canary strings, each must never appear in an answer. */
const planted = { sqlite: canary('sqlite'), env: canary('env'), secret: canary('secret') };

/** Files of the project that must stay private (those that exist here), by path from the root. */
const privateFiles = [
  'package.json',
  'tsconfig.json',
  '.git',
  '.git/config',
  '.git/HEAD',
  'data/chat.sqlite',
  'lessons/05-chat/server.ts',
  'lessons/05-chat/store.ts',
  'solutions/05-chat/server.ts',
  'solutions/05-chat/passwords.ts',
  'lessons/07-relay/agent.ts',
  'solutions/07-relay/server.ts',
  'solutions/07-relay/secrets.ts',
  'solutions/07-relay/database.ts',
  'shared/workshop-server.ts',
  'test/graders/05-chat.ts',
  'node_modules/express/package.json',
  'node_modules/faye/package.json',
  'node_modules/faye/client/faye-browser.js',
  `${scratchRelative}/data/chat.sqlite`,
  `${scratchRelative}/.env`,
  `${scratchRelative}/secret.txt`,
];

/** Lines of a private file long enough to be its own: any of them in an answer is a leak. */
function markersOf(relative: string): string[] {
  const file = path.join(projectRoot, relative);
  if (!existsSync(file) || !statSync(file).isFile()) return [];
  return readFileSync(file, 'latin1')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 24 && /[A-Za-z]{4}/.test(line));
}

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One request with the path sent exactly as written (fetch would normalise it). */
function get(base: string, rawPath: string, headers: Record<string, string> = {}, setHost = true): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, path: rawPath, method: 'GET', headers, agent, setHost }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('latin1') }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** One request with a body, as `get` sends it. */
function send(base: string, method: string, rawPath: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, path: rawPath, method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

interface Socket {
  readonly address: string;
  readonly port: number;
  readonly inode: string;
}

/** The listening TCP sockets this process holds: /proc/net/tcp{,6} matched to /proc/self/fd. */
function listeningSockets(): Socket[] {
  const mine = new Set<string>();
  for (const fd of readdirSafe('/proc/self/fd')) {
    const link = readlinkSafe(`/proc/self/fd/${fd}`);
    const match = /^socket:\[(\d+)\]$/.exec(link ?? '');
    if (match) mine.add(match[1]!);
  }
  const sockets: Socket[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10 || columns[3] !== '0A' || !mine.has(columns[9]!)) continue;
      const [hex, port] = columns[1]!.split(':') as [string, string];
      sockets.push({ address: decodeAddress(hex), port: parseInt(port, 16), inode: columns[9]! });
    }
  }
  return sockets;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) return (hex.match(/../g) ?? []).map((byte) => parseInt(byte, 16)).reverse().join('.');
  if (/^0{32}$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex.startsWith('0000000000000000FFFF0000')) return `::ffff:${decodeAddress(hex.slice(24))}`;
  return hex;
}

function readdirSafe(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function readlinkSafe(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Plants the canaries: a real SQLite chat database, a .env, a plain secret, two symlinks in
 * site/; builds the site and puts the same symlinks in the build.
 */
async function plant(): Promise<void> {
  mkdirSync(path.join(scratch, 'data'), { recursive: true });
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run('CREATE TABLE canary (secret TEXT)');
  db.run('INSERT INTO canary VALUES (?)', [planted.sqlite]);
  writeFileSync(path.join(scratch, 'data', 'chat.sqlite'), db.export());
  db.close();
  writeFileSync(path.join(scratch, '.env'), `SECRET=${planted.env}\n`);
  writeFileSync(path.join(scratch, 'secret.txt'), `${planted.secret}\n`);
  symlinkSync(path.join(scratch, 'secret.txt'), symlinkFile);
  symlinkSync(scratch, symlinkDir, 'dir');
  const config = path.join(projectRoot, 'site', 'vite.config.ts');
  await build({ configFile: config, logLevel: 'silent', build: { outDir: builtFolder, emptyOutDir: true } });
  symlinkSync(path.join(scratch, 'secret.txt'), path.join(builtFolder, 'site', path.basename(symlinkFile)));
  symlinkSync(scratch, path.join(builtFolder, 'site', path.basename(symlinkDir)), 'dir');
}

function unplant(): void {
  rmSync(symlinkFile, { force: true });
  rmSync(symlinkDir, { force: true });
  rmSync(scratch, { recursive: true, force: true });
  rmSync(builtFolder, { recursive: true, force: true });
}

/** Ways to write `../` that a careless server may undo: encoded, twice encoded, backslashed, mixed case. */
const ups = [
  '../',
  '..%2f',
  '..%2F',
  '%2e%2e/',
  '%2E%2E%2F',
  '%2e%2e%2f',
  '.%2e/',
  '%2e./',
  '..%5c',
  '..%5C',
  '..\\',
  '%2e%2e%5c',
  '%252e%252e/',
  '%252e%252e%252f',
  '%252E%252E%255C',
  '..%252f',
  '%25252e%25252e%25252f',
  '.../',
  '..;/',
  './../',
  '..//',
  '%c0%ae%c0%ae/',
];

/** Where a traversal may start, with how many folders deep it is. */
const starts: Array<[string, number]> = [
  ['/site/', 1],
  ['/SITE/', 1],
  ['/lessons/05-chat/public/', 3],
  ['/lessons/01-naive-polling/', 2],
  ['/solutions/01-naive-polling/', 2],
  ['/node_modules/.vite/deps/', 3],
  ['/node_modules/vite/dist/client/', 4],
  ['/node_modules/faye/client/', 3],
  ['/@vite/', 1],
  ['/@fs/', 1],
  ['/@id/', 1],
];

const suffixes = ['', '?raw', '?import', '?url', '?inline', '?raw&import', '?import&raw', '?raw??', '?url&raw'];

function probes(): string[] {
  const list = new Set<string>();
  const withSlashes = (target: string, slash: string): string => target.split('/').join(slash);
  for (const target of privateFiles) {
    const absolute = path.join(projectRoot, target);
    for (const suffix of suffixes) {
      list.add(`/${target}${suffix}`);
      list.add(`//${target}${suffix}`);
      list.add(`/@fs${absolute}${suffix}`);
      list.add(`/@fs/${absolute}${suffix}`);
      list.add(`/@id/${target}${suffix}`);
      list.add(`/@id${absolute}${suffix}`);
      list.add(`${absolute}${suffix}`);
      list.add(`/site${absolute}${suffix}`);
    }
    list.add(`/@FS${absolute}`);
    list.add(`/%40fs${absolute}`);
    list.add(`/@fs${withSlashes(absolute, '%2f')}`);
    list.add(`/@fs${withSlashes(absolute, '\\')}`);
    list.add(`/@fs${withSlashes(absolute, '%5c')}`);
    list.add(`/@fs${absolute}%00`);
    list.add(`/@fs${absolute}%00.js`);
    list.add(`/@fs${absolute.replace(/\/([^/]+)$/, '/./$1')}`);
    list.add(`/@fs/${projectRoot}/site/../${target}`);
    list.add(`/@fs${projectRoot}/site/%2e%2e/${target}?raw`);
    list.add(`/@fs${projectRoot}/lessons/05-chat/public/../../../${target}`);
    list.add(`/@fs${projectRoot}/node_modules/.vite/deps/../../../${target}`);
    for (const [start, depth] of starts) {
      for (const up of ups) {
        list.add(`${start}${up.repeat(depth)}${target}`);
        list.add(`${start}${up.repeat(depth + 3)}${target}`);
      }
      for (const suffix of suffixes.slice(1)) list.add(`${start}${'../'.repeat(depth)}${target}${suffix}`);
    }
  }
  const linkFile = path.relative(projectRoot, symlinkFile);
  const linkDir = path.relative(projectRoot, symlinkDir);
  for (const suffix of suffixes) {
    list.add(`/${linkFile}${suffix}`);
    list.add(`/@fs${symlinkFile}${suffix}`);
    for (const inside of ['secret.txt', '.env', 'data/chat.sqlite']) {
      list.add(`/${linkDir}/${inside}${suffix}`);
      list.add(`/@fs${symlinkDir}/${inside}${suffix}`);
    }
  }
  // The learner's server code and the workshop's own code, next to servable files.
  for (const slug of ['01-naive-polling', '05-chat', '07-relay']) {
    for (const file of ['server.ts', 'README.md', 'main.ts', 'store.ts', 'agent.ts', 'database.ts', 'secrets.ts']) {
      list.add(`/lessons/${slug}/${file}`);
      list.add(`/solutions/${slug}/${file}?raw`);
      list.add(`/lessons/${slug}/public/../${file}`);
      list.add(`/lessons/${slug}/client.ts/../${file}`);
    }
  }
  return [...list];
}

/** Paths that do not decode or normalise cleanly: a 4xx JSON, never a 5xx. */
const malformed = [
  '/site/%',
  '/site/%zz',
  '/site/%E0%A4%A',
  '/site/%c0%ae%c0%ae',
  '/@fs/%',
  '/@fs%ff',
  '/site/main.ts%00',
  '/site/%00',
  '/site/%2500',
  '/..',
  '/../../../../etc/passwd',
  '/site/../../../../../etc/passwd',
  '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/@fs/etc/passwd',
  '/@fs//etc/passwd',
  '/@fs/proc/self/environ',
  '/site/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
];

interface Leak {
  readonly probe: string;
  readonly status: number;
  readonly leaked: readonly string[];
}

type Expectation = [page: string, status: number, type: RegExp];

interface Mode {
  readonly name: string;
  /** The built site's folder, for `--built`. */
  readonly built?: string;
  /** The pages and modules that must load. */
  pages(base: string): Promise<Expectation[]>;
}

const modes: Mode[] = [
  {
    name: 'npm start (Vite)',
    async pages(base) {
      const markdown = await get(base, '/site/markdown.ts');
      const dependency = /"(\/node_modules\/\.vite\/deps\/[^"]+)"/.exec(markdown.body)?.[1];
      expect(dependency, `Expected /site/markdown.ts to import a pre-bundled dependency from /node_modules/.vite/deps/; it answered ${markdown.status}: ${markdown.body.slice(0, 200)}. Look at ${WHERE}.`).toBeDefined();
      return [
        ['/site/', 200, /text\/html/],
        ['/site/main.ts', 200, /javascript/],
        ['/site/style.css', 200, /javascript|css/],
        ['/lessons/01-naive-polling/client.ts', 200, /javascript/],
        ['/solutions/04-resume/client.ts', 200, /javascript/],
        ['/lessons/05-chat/protocol.ts', 200, /javascript/],
        ['/lessons/07-relay/caller.ts', 200, /javascript/],
        ['/solutions/07-relay/caller.ts', 200, /javascript/],
        ['/lessons/05-chat/public/', 200, /text\/html/],
        ['/lessons/05-chat/public/chat.ts', 200, /javascript/],
        ['/lessons/05-chat/public/chat.css?direct', 200, /css/],
        ['/@vite/client', 200, /javascript/],
        ['/node_modules/vite/dist/client/env.mjs', 200, /javascript/],
        [`/@fs${projectRoot}/site/timeline.ts`, 200, /javascript/],
        [dependency!, 200, /javascript/],
      ];
    },
  },
  {
    name: 'npm run serve (--built)',
    built: builtFolder,
    async pages(base) {
      const html = await get(base, '/site/');
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html.body)?.[1];
      expect(script, `Expected the built /site/ to load a script from /assets/; it answered ${html.status}: ${html.body.slice(0, 200)}. Look at site/vite.config.ts and ${WHERE}.`).toBeDefined();
      return [
        ['/site/', 200, /text\/html/],
        ['/lessons/05-chat/public/', 200, /text\/html/],
        [script!, 200, /javascript/],
      ];
    },
  },
];

const report: string[] = [];
const secrets = new Map<string, string[]>();

beforeAll(async () => {
  await plant();
  for (const [name, value] of Object.entries(planted)) secrets.set(`planted ${name} canary`, [value]);
  for (const file of privateFiles) {
    const markers = markersOf(file);
    if (markers.length) secrets.set(file, markers);
  }
});

afterAll(() => {
  agent.destroy();
  unplant();
  mkdirSync(workRoot, { recursive: true });
  writeFileSync(reportFile, `${report.join('\n')}\n`);
});

const leaksIn = (answer: Answer): string[] =>
  [...secrets].filter(([, markers]) => markers.some((marker) => answer.body.includes(marker))).map(([name]) => name);

describe.each(modes)('the workshop server, $name: only the site, and only for this machine', (mode) => {
  let workshop: Workshop;
  let listening: Listening;
  let base: string;
  let before: Socket[];
  let after: Socket[];

  beforeAll(async () => {
    report.push(`== ${mode.name}`);
    before = listeningSockets();
    workshop = await createWorkshop({ target: 'solutions', dataRoot: scratch, ...(mode.built ? { built: mode.built } : {}) });
    listening = await listen(workshop.app, 0);
    base = listening.url;
    after = listeningSockets();
  });

  afterAll(async () => {
    await listening?.close();
    await workshop?.close();
  });

  test('listens on exactly one port, on 127.0.0.1 (no Vite WebSocket server on another port)', () => {
    const known = new Set(before.map((s) => s.inode));
    const added = after.filter((s) => !known.has(s.inode));
    const shown = added.map((s) => `${s.address}:${s.port}`).join(', ') || 'none';
    report.push(`listening sockets added by createWorkshop + listen: ${shown}`);
    expect(
      added.map((s) => `${s.address}:${s.port}`),
      `Expected exactly one new listening socket, 127.0.0.1:${new URL(base).port}; the process listens on: ${shown}. ` +
        `Look at ${WHERE}: Vite's server.ws / hmr options (a WebSocket server on 24678) and the address listen() binds.`,
    ).toEqual([`127.0.0.1:${new URL(base).port}`]);
  });

  test('the site, the demos\' client code, the chat page (and Vite\'s client) still load', async () => {
    const expectations: Expectation[] = [...(await mode.pages(base)), ['/api/lessons', 200, /json/], ['/lessons/05-chat/api/stats', 200, /json/]];
    const wrong: string[] = [];
    for (const [page, status, type] of expectations) {
      const answer = await get(base, page);
      if (answer.status !== status || !type.test(answer.type)) wrong.push(`${page}: ${answer.status} ${answer.type} ${answer.body.slice(0, 120)}`);
    }
    for (const page of ['/site/', '/lessons/05-chat/public/']) {
      const html = (await get(base, page)).body;
      if (html.includes('/@vite/client')) wrong.push(`${page}: loads /@vite/client, which can only fail to open its WebSocket (there is none) and say so in the console`);
    }
    const listed = (await get(base, '/api/lessons')).body;
    expect(JSON.parse(listed).lessons.length, 'GET /api/lessons lists every lesson of shared/manifest.ts').toBe(lessons.length);
    expect(wrong, `Expected each page or module to load (status and content type); these did not, so the site is broken. Look at ${WHERE}.\n${wrong.join('\n')}`).toEqual([]);
  });

  test('Faye’s browser client is served byte for byte, for the Bayeux demo, and no other file of node_modules is', async () => {
    const shipped = readFileSync(path.join(projectRoot, fayeBrowserClient), 'latin1');
    const wrong: string[] = [];
    const answer = await get(base, fayeBrowserClient);
    if (answer.status !== 200 || !/javascript/.test(answer.type) || answer.body !== shipped) {
      wrong.push(`${fayeBrowserClient}: ${answer.status} ${answer.type}, ${answer.body.length} bytes where npm ships ${shipped.length}${answer.body === shipped ? '' : ', and not the same bytes'}`);
    }
    const others = [
      '/node_modules/faye/client/faye-browser.js',
      '/node_modules/faye/client/faye-browser-min.js.map',
      '/node_modules/faye/client/',
      '/node_modules/faye/package.json',
      '/node_modules/faye/src/faye_browser.js',
      '/node_modules/faye-websocket/package.json',
      '/node_modules/express/index.js',
      `${fayeBrowserClient}/../faye-browser.js`,
      `${fayeBrowserClient}%2f..%2f..%2fpackage.json`,
      `/node_modules/faye/client/%2e%2e/package.json`,
      `/@fs${projectRoot}${fayeBrowserClient}`,
      `/@fs${projectRoot}/node_modules/faye/client/faye-browser.js`,
      `/site/..${fayeBrowserClient.replace('-min', '')}`,
    ];
    for (const other of others) {
      const other404 = await get(base, other);
      if (other404.status !== 404) wrong.push(`${other}: expected 404, got ${other404.status} ${other404.type}`);
    }
    report.push(`Faye's browser client and its neighbours wrong: ${wrong.length}`, ...wrong.map((w) => `  ${w}`));
    expect(wrong, `Expected ${fayeBrowserClient} served as npm ships it (lesson 06's demo loads it) and every other file of node_modules a 404. Look at shared/serving.ts (shippedFiles, shippedGate) and ${WHERE}.\n${wrong.join('\n')}`).toEqual([]);
  });

  test('every traversal probe gets a 404 and no byte of a private file', async () => {
    const list = probes();
    const answers = await inParallel(list, 8, (probe) => get(base, probe));
    const leaks: Leak[] = [];
    answers.forEach((answer, index) => {
      const leaked = leaksIn(answer);
      if (answer.status !== 404 || leaked.length) leaks.push({ probe: list[index]!, status: answer.status, leaked });
    });
    const bytes = leaks.filter((l) => l.leaked.length);
    const byStatus = new Map<number, number>();
    for (const leak of leaks) byStatus.set(leak.status, (byStatus.get(leak.status) ?? 0) + 1);
    const statuses = [...byStatus].map(([status, count]) => `${count} × ${status}`).join(', ');
    const files = [...new Set(bytes.flatMap((l) => l.leaked))];
    report.push(
      `traversal probes: ${list.length}; not a 404: ${leaks.length} (${statuses || 'none'}); answers with bytes of a private file: ${bytes.length}` +
        (files.length ? `\n  files leaked: ${files.join(', ')}` : ''),
      ...leaks.map((l) => `  ${l.status} ${l.probe}${l.leaked.length ? `  LEAKED ${l.leaked.join(', ')}` : ''}`),
    );
    expect(
      leaks.length,
      `Expected a 404 with no byte of a private file for each of ${list.length} probes outside the servable set. ` +
        `Happened: ${leaks.length} were not (${statuses}), ${bytes.length} answered with bytes of ${files.join(', ') || 'no private file'}. ` +
        `First ones:\n${leaks.slice(0, 15).map((l) => `  ${l.status} ${l.probe} ${l.leaked.join(', ')}`).join('\n')}\n` +
        `Every one: ${path.relative(projectRoot, reportFile)}. Look at ${WHERE}.`,
    ).toBe(0);
  });

  test('a path that does not decode or normalise cleanly gets a 4xx JSON, never a 5xx', async () => {
    const wrong: string[] = [];
    for (const probe of malformed) {
      const answer = await get(base, probe);
      const json = /json/.test(answer.type) && typeof (JSON.parse(answer.body || 'null') as { error?: unknown } | null)?.error === 'string';
      if (answer.status < 400 || answer.status >= 500 || !json || leaksIn(answer).length) wrong.push(`${answer.status} ${answer.type} ${probe}: ${answer.body.slice(0, 100)}`);
    }
    report.push(`malformed paths: ${malformed.length}; not a 4xx JSON: ${wrong.length}`, ...wrong.map((w) => `  ${w}`));
    expect(wrong, `Expected a 4xx with a JSON { error } for each malformed path; these were not. Look at ${WHERE}.\n${wrong.join('\n')}`).toEqual([]);
  });

  test('a private file gets the same answer as a file that does not exist', async () => {
    const pairs = [
      [`/@fs${projectRoot}/package.json`, `/@fs${projectRoot}/package-${id}.json`],
      ['/site/../package.json', `/site/../package-${id}.json`],
      ['/lessons/05-chat/server.ts', `/lessons/05-chat/server-${id}.ts`],
      [`/${scratchRelative}/data/chat.sqlite`, `/${scratchRelative}/data/chat-${id}.sqlite`],
    ] as const;
    const differ: string[] = [];
    for (const [existing, missing] of pairs) {
      const [a, b] = [await get(base, existing), await get(base, missing)];
      const shape = (answer: Answer, probe: string): string => `${answer.status} ${answer.body.split(probe).join('<path>')}`;
      if (shape(a, existing) !== shape(b, missing)) differ.push(`${existing} → ${shape(a, existing).slice(0, 120)}\n    ${missing} → ${shape(b, missing).slice(0, 120)}`);
    }
    report.push(`existing vs missing private files answered differently: ${differ.length} of ${pairs.length}`, ...differ.map((d) => `  ${d}`));
    expect(differ, `Expected the same status and body (but for the path) for a private file and a missing one; these differ, which tells an attacker what exists. Look at ${WHERE}.\n${differ.join('\n')}`).toEqual([]);
  });

  test('a foreign Host gets 403 JSON on every route; localhost and 127.0.0.1 are served', async () => {
    const port = new URL(base).port;
    const routes = [
      '/site/',
      '/api/lessons',
      '/api/lessons/07-relay/events?root=lessons',
      '/lessons/05-chat/api/stats',
      '/lessons/01-naive-polling/api/messages',
      '/solutions/01-naive-polling/api/messages',
      '/lessons/07-relay/api/agents/demo/queries',
      '/site/main.ts',
      '/@vite/client',
      '/',
    ];
    const foreign = ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '127.0.0.1.nip.io', `attacker.test:${port}`];
    const local = ['localhost', `localhost:${port}`, `127.0.0.1:${port}`, '127.0.0.1', `[::1]:${port}`];
    const wrong: string[] = [];
    for (const route of routes) {
      for (const host of foreign) {
        const answer = await get(base, route, { host });
        if (answer.status !== 403 || !/json/.test(answer.type)) wrong.push(`Host ${host} ${route}: expected 403 JSON, got ${answer.status} ${answer.type}`);
      }
      for (const host of local) {
        const answer = await get(base, route, { host });
        if (answer.status === 403 || answer.status >= 500) wrong.push(`Host ${host} ${route}: expected it served, got ${answer.status}`);
      }
    }
    const bare = await get(base, '/api/lessons', {}, false);
    // Node itself answers 400 to an HTTP/1.1 request without a Host; a 403 would do as well.
    if (bare.status !== 400 && bare.status !== 403) wrong.push(`no Host header /api/lessons: expected 400 or 403, got ${bare.status}`);
    report.push(`Host checks wrong: ${wrong.length}`, ...wrong.map((w) => `  ${w}`));
    expect(wrong, `Expected 403 JSON for a Host other than localhost, 127.0.0.1 or [::1] (DNS rebinding), on pages and lesson APIs alike. Look at ${WHERE}.\n${wrong.join('\n')}`).toEqual([]);
  });

  test('a state-changing request from a page of another site (its Origin) gets 403 JSON and changes nothing; this site and clients without an Origin are served', async () => {
    const port = new URL(base).port;
    const text = `cross-site ${randomUUID()}`;
    const message = JSON.stringify({ text });
    const publish = `message=${encodeURIComponent(JSON.stringify([{ channel: '/chat/demo', data: { text } }]))}`;
    // What a page of another site can send without asking first (a form, or fetch in no-cors mode), and more.
    const requests: Array<[string, string, string, string]> = [
      ['POST', '/lessons/06-bayeux/api/bayeux', 'application/x-www-form-urlencoded', publish],
      ['POST', '/lessons/01-naive-polling/api/messages', 'text/plain', message],
      ['POST', '/lessons/01-naive-polling/api/messages', 'application/json', message],
      ['POST', '/api/lessons/08-event-stream/restart', 'application/json', '{"root":"lessons"}'],
      ['POST', '/lessons/09-scale-out/p/Z/kill', 'application/json', '{}'],
      ['PUT', '/lessons/01-naive-polling/api/messages', 'application/json', message],
    ];
    const foreign = ['http://evil.example', `http://evil.example:${port}`, `http://localhost:${Number(port) === 65_535 ? 1 : Number(port) + 1}`, 'null'];
    const wrong: string[] = [];
    for (const [method, route, type, body] of requests) {
      for (const origin of foreign) {
        const answer = await send(base, method, route, { origin, 'content-type': type }, body);
        if (answer.status !== 403 || !/json/.test(answer.type)) wrong.push(`Origin ${origin}: ${method} ${route} (${type}) → ${answer.status} ${answer.type} ${answer.body.slice(0, 120)}`);
      }
    }
    const messages = await get(base, '/lessons/01-naive-polling/api/messages');
    if (messages.body.includes(text)) wrong.push(`a message posted from another site was kept: ${messages.body.slice(0, 200)}`);
    for (const origin of [`http://127.0.0.1:${port}`, undefined]) {
      const answer = await send(base, 'POST', '/lessons/01-naive-polling/api/messages', { ...(origin ? { origin } : {}), 'content-type': 'application/json' }, message);
      if (answer.status !== 201) wrong.push(`Origin ${origin ?? '(none)'}: POST /lessons/01-naive-polling/api/messages → ${answer.status}, expected 201`);
    }
    report.push(`Cross-site requests wrong: ${wrong.length}`, ...wrong.map((w) => `  ${w}`));
    expect(wrong, `Expected a request with an Origin other than the workshop's own to be refused before it reaches a lesson (CSRF). Look at shared/serving.ts sameOrigin.\n${wrong.join('\n')}`).toEqual([]);
  });

  test('a page of another site cannot make the workshop fetch, hold or start anything, not even with a GET (Sec-Fetch-Site); a link followed from it, this site and clients without the header are served', async () => {
    const subresource = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' };
    const script = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' };
    const corsFetch = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };
    const embedded = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'embed' };
    const refused: Array<[string, Record<string, string>]> = [
      ['/site/', subresource],
      ['/lessons/01-naive-polling/api/messages', script],
      ['/api/lessons', corsFetch],
      ['/site/', embedded],
    ];
    const served: Array<[string, Record<string, string>]> = [
      ['/site/', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }],
      ['/api/lessons', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }],
      ['/api/lessons', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }],
      ['/api/lessons', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }],
      ['/api/lessons', {}],
    ];
    const wrong: string[] = [];
    for (const [route, headers] of refused) {
      const answer = await get(base, route, headers);
      if (answer.status !== 403 || !/json/.test(answer.type)) wrong.push(`${JSON.stringify(headers)} GET ${route}: expected 403 JSON, got ${answer.status} ${answer.type}`);
    }
    for (const [route, headers] of served) {
      const answer = await get(base, route, headers);
      if (answer.status !== 200) wrong.push(`${JSON.stringify(headers)} GET ${route}: expected it served (200), got ${answer.status}`);
    }
    report.push(`Cross-site reads wrong: ${wrong.length}`, ...wrong.map((w) => `  ${w}`));
    expect(wrong, `Expected a GET from a page of another site that is not a link followed to be refused before it reaches a lesson. Look at shared/serving.ts fromAnotherSitesPage.\n${wrong.join('\n')}`).toEqual([]);
  });

  test('a Host given twice, a foreign host in the request line, or a port past 65535 gets 403', async () => {
    const port = new URL(base).port;
    const tricks: Array<[string, string]> = [
      ['two Host headers, the first local', `GET /lessons/05-chat/api/stats HTTP/1.1\r\nHost: localhost:${port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`],
      ['a foreign host in the request line', `GET http://evil.example/lessons/05-chat/api/stats HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`],
      ['a foreign host in the request line of a page', `GET http://evil.example/site/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`],
      ['a port past 65535', 'GET /api/lessons HTTP/1.1\r\nHost: localhost:99999\r\nConnection: close\r\n\r\n'],
    ];
    const wrong: string[] = [];
    for (const [what, request] of tricks) {
      const answer = (await rawExchange(undefined, base, request)) ?? 'no answer';
      if (!/^HTTP\/1\.1 (403|400)/.test(answer)) wrong.push(`${what}: expected 403 (or 400), got ${answer.split('\r\n')[0]}`);
    }
    const local = (await rawExchange(undefined, base, `GET http://localhost:${port}/api/lessons HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`)) ?? '';
    if (!/^HTTP\/1\.1 200/.test(local)) wrong.push(`the local host in the request line too: expected 200, got ${local.split('\r\n')[0]}`);
    report.push(`Host tricks wrong: ${wrong.length}`, ...wrong.map((w) => `  ${w}`));
    expect(wrong, `Expected every way of naming another host to be refused. Look at shared/serving.ts hostCheck.\n${wrong.join('\n')}`).toEqual([]);
  });
});
