/**
 * Bad-input fuzzing of every lesson's server (the reference solutions by default;
 * `FUZZ_TARGET=lessons npm run test:fuzz` for the learner's, and `FUZZ_LESSON=4` for one
 * lesson only, by number or slug): over a thousand malformed
 * requests each — unknown routes and methods, broken or wrongly typed JSON, huge bodies,
 * odd content types, invalid UTF-8, odd `after` values. Every answer must be a 4xx with a
 * JSON `{ "error": "..." }`, never a 5xx or a crash, and afterwards the server must still
 * accept a good message.
 *
 * The generators only make requests that are wrong by construction; valid requests (which
 * a server may hold) are never sent. Lesson 08's `GET /events` without a position is valid
 * (it opens a stream from 0), so its position is fuzzed only with values that are not one, in
 * the query and in the `Last-Event-ID` header, and its `Accept` header only with types that
 * do not ask for an event stream.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RequestListener } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestFrom } from '../../shared/grading/raw-http.ts';
import { lessonFolder } from '../../shared/grading/targets.ts';
import { listen } from '../../shared/http.ts';
import { findLesson, lessons } from '../../shared/manifest.ts';

const RUNS = 1000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const MAX_TEXT_LENGTH = 500;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** A good request for each lesson, which must still succeed after the fuzzing (default: post a message, 201). */
const goodRequests: Record<string, { path: string; body: string; status?: number }> = {
  '05-chat': { path: '/register', body: '{"name":"still-here","password":"a good long password"}' },
  '06-bayeux': { path: '/bayeux', body: '[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"id":"1"}]', status: 200 },
  '07-relay': { path: '/agents/demo/login', body: '{"secret":"demo-agent-secret-for-this-machine-only"}', status: 200 },
};

/**
 * Options for a lesson's createApp() besides the short hold, made for the lesson folder: the
 * relay needs its demo agent to be reached at all; lesson 09 needs a broker, and gets its own
 * in-process stand-in (the fuzzing is about HTTP input, which never reaches the broker).
 */
const appOptions: Record<string, (folder: string) => Promise<object>> = {
  '07-relay': async () => ({ demo: true }),
  '09-scale-out': async (folder) => {
    const { createStandInBroker } = (await import(pathToFileURL(path.join(folder, 'stand-in.ts')).href)) as { createStandInBroker: () => unknown };
    return { broker: createStandInBroker() };
  },
};

/**
 * Bodies a lesson would accept, which the "not a valid message" generator must not send:
 * by default a message `{ "text": … }`; for Bayeux, any batch with a message that has a channel.
 */
const acceptedBodies: Record<string, (value: unknown) => boolean> = {
  '06-bayeux': (value) => (Array.isArray(value) ? value : [value]).some((m) => typeof m === 'object' && m !== null && typeof (m as { channel?: unknown }).channel === 'string'),
};

/** Query parameters a lesson validates, to be fuzzed with odd values (`optional`: leaving it out is a valid request). */
const validatedQueries: Record<string, { path: string; param: string; valid: RegExp; optional?: boolean }> = {
  '04-resume': { path: '/poll', param: 'after', valid: /^\d{1,15}$/ },
  '09-scale-out': { path: '/poll', param: 'after', valid: /^\d{1,15}$/ },
  '08-event-stream': { path: '/events', param: 'lastEventId', valid: /^\d{1,15}$/, optional: true },
};

/** Request headers a lesson validates on a GET route: odd values of `header`, and `Accept` values that do not name what the route serves. */
const validatedHeaders: Record<string, { path: string; header: string; valid: RegExp; accepts: RegExp }> = {
  '08-event-stream': { path: '/events', header: 'last-event-id', valid: /^\d{1,15}$/, accepts: /(^|,)\s*(text\/event-stream|text\/\*|\*\/\*)\s*(;|,|$)/i },
};

interface FuzzRequest {
  what: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Blob;
}

interface Route {
  path: string;
  methods: string[];
}

/** Lesson 04's API, which lesson 09 keeps word for word. */
const resumeRoutes: Route[] = [
  { path: '/poll', methods: ['GET'] },
  { path: '/messages', methods: ['POST'] },
  { path: '/stats', methods: ['GET'] },
];

/** The routes of the lessons whose server is plain node:http (no router to read them from). */
const declaredRoutes: Record<string, Route[]> = {
  '04-resume': resumeRoutes,
  '09-scale-out': resumeRoutes,
  '06-bayeux': [{ path: '/bayeux', methods: ['POST'] }],
  // The relay's routes with its demo agent's name, so that the fuzzing gets past "no such agent".
  '08-event-stream': [
    { path: '/events', methods: ['GET'] },
    { path: '/messages', methods: ['POST'] },
    { path: '/stats', methods: ['GET'] },
  ],
  '07-relay': [
    { path: '/agents/demo/login', methods: ['POST'] },
    { path: '/agents/demo/work', methods: ['GET'] },
    { path: '/agents/demo/answers', methods: ['POST'] },
    { path: '/agents/demo/queries', methods: ['POST'] },
  ],
};

/** The routes a lesson's app serves: declared above, or read from its express router. */
function routesOf(slug: string, app: unknown): Route[] {
  if (declaredRoutes[slug]) return declaredRoutes[slug];
  const stack = (app as { router?: { stack?: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router?.stack ?? [];
  const methodsByPath = new Map<string, Set<string>>();
  for (const { route } of stack) {
    if (!route) continue;
    const methods = methodsByPath.get(route.path) ?? new Set<string>();
    Object.keys(route.methods).forEach((m) => methods.add(m.toUpperCase()));
    methodsByPath.set(route.path, methods);
  }
  return [...methodsByPath].map(([path, methods]) => ({ path, methods: [...methods] }));
}

function isValidMessageBody(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const text = (value as { text?: unknown }).text;
  return typeof text === 'string' && text.trim() !== '' && text.length <= MAX_TEXT_LENGTH;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const json = { 'content-type': 'application/json' };

/** Path segments that a URL parser will not fold away ("." and ".." would be). */
const segment = fc
  .oneof(fc.stringMatching(/^[A-Za-z0-9_~-]{1,12}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map(encodeURIComponent))
  .filter((s) => s !== '' && !/^(\.|%2e)+$/i.test(s));

function unknownRoute(routes: Route[]): fc.Arbitrary<FuzzRequest> {
  const known = new Set(routes.map((r) => r.path.toLowerCase()));
  return fc
    .tuple(fc.constantFrom(...METHODS), fc.array(segment, { minLength: 1, maxLength: 4 }))
    .map(([method, parts]) => ({ method, path: `/${parts.join('/')}` }))
    .filter(({ path }) => !known.has(path.toLowerCase().replace(/\/+$/, '')))
    .map(({ method, path }) => ({ what: 'unknown route', method, path, headers: {} }));
}

function wrongMethod(routes: Route[]): fc.Arbitrary<FuzzRequest> {
  const pairs = routes.flatMap((route) => METHODS.filter((m) => !route.methods.includes(m)).map((method) => ({ method, path: route.path })));
  return fc.constantFrom(...pairs).map(({ method, path }) =>
    method === 'GET'
      ? { what: 'method the route does not serve', method, path, headers: {} }
      : { what: 'method the route does not serve', method, path, headers: json, body: '{"text":"hi"}' },
  );
}

function badBody(postPath: string, accepted: (value: unknown) => boolean = isValidMessageBody): fc.Arbitrary<FuzzRequest> {
  const request = (what: string, body: string | Blob, headers: Record<string, string> = json): FuzzRequest => ({ what, method: 'POST', path: postPath, headers, body });
  return fc.oneof(
    fc.jsonValue().filter((v) => !accepted(v)).map((v) => request('JSON that is not a valid message', JSON.stringify(v) ?? 'null')),
    fc.record({ text: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object()) }).map((v) => request('text of the wrong type', JSON.stringify(v))),
    fc.string().filter((s) => !parsesAsJson(s)).map((s) => request('broken JSON', s)),
    fc.string({ unit: 'grapheme' }).map((s) => request('a body that is not JSON', s, { 'content-type': 'text/plain' })),
    fc.integer({ min: MAX_TEXT_LENGTH + 1, max: 200_000 }).map((n) => request(`text of ${n} characters`, JSON.stringify({ text: 'x'.repeat(n) }))),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => request('bytes that are not UTF-8 JSON', new Blob([Uint8Array.from([0xff, 0xfe, ...bytes])]))),
    fc.constantFrom('application/json; charset=utf-16', 'application/json; charset=latin-1').map((type) => request(`an unsupported charset (${type})`, '{"text":"hi"}', { 'content-type': type })),
  );
}

function badQuery(query: { path: string; param: string; valid: RegExp; optional?: boolean }): fc.Arbitrary<FuzzRequest> {
  const odd = fc.oneof(
    fc.constantFrom('-1', '1e309', 'abc', '1.5', '', '0x10', ' 1', '١', '１', 'NaN', 'Infinity', '99999999999999999999'),
    fc.string({ unit: 'grapheme' }),
    fc.double().map(String),
  );
  return fc
    .oneof(
      odd.filter((v) => !query.valid.test(v)).map((v) => `${query.path}?${query.param}=${encodeURIComponent(v)}`),
      fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `${query.path}?${query.param}=${a}&${query.param}=${b}`),
      ...(query.optional ? [] : [fc.constant(query.path)]),
    )
    .map((path) => ({ what: `an odd ${query.param}`, method: 'GET', path, headers: {} }));
}

function badHeaders(spec: { path: string; header: string; valid: RegExp; accepts: RegExp }): fc.Arbitrary<FuzzRequest> {
  // What fetch sends as it is: printable ASCII without spaces at the ends (it would trim them).
  const sendable = (v: string) => /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(v) || v === '';
  const odd = fc
    .oneof(fc.constantFrom('-1', '1e309', 'abc', '1.5', '', '0x10', '1 2', '1,2', 'NaN', '99999999999999999999'), fc.string(), fc.double().map(String))
    .filter((v) => sendable(v) && !spec.valid.test(v));
  const mediaType = fc.stringMatching(/^[a-z]{1,12}\/[a-z+.-]{1,16}$/);
  const accept = fc
    .oneof(
      fc.constantFrom('application/json', 'text/html', 'image/*', 'application/xml;q=0.9', 'text/plain, application/json', 'text/event-streams', 'event-stream'),
      fc.array(mediaType, { minLength: 1, maxLength: 3 }).map((types) => types.join(', ')),
    )
    .filter((v) => !spec.accepts.test(v));
  return fc.oneof(
    odd.map((v) => ({ what: `an odd ${spec.header} header`, method: 'GET', path: spec.path, headers: { [spec.header]: v } })),
    accept.map((v) => ({ what: 'an Accept header that does not ask for what the route serves', method: 'GET', path: spec.path, headers: { accept: v } })),
  );
}

async function send(base: string, request: FuzzRequest): Promise<{ status: number; body: unknown; type: string }> {
  const response = await fetch(base + request.path, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(3000),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body, type: response.headers.get('content-type') ?? '' };
}

const target = process.env.FUZZ_TARGET ?? 'solutions';
/** FUZZ_LESSON=4 (or a slug) fuzzes that lesson only. */
const only = process.env.FUZZ_LESSON;
const chosen = only === undefined || only === '' ? lessons : [findLesson(only) ?? fail(`FUZZ_LESSON=${only}: no such lesson (${lessons.map((l) => l.number).join(', ')})`)];

function fail(message: string): never {
  throw new Error(message);
}

describe.concurrent(`fuzz: ${only ? `lesson ${chosen[0]!.slug}` : 'every lesson'} server (${target})`, () => {
  for (const lesson of chosen) {
    it(`${lesson.slug}: ${RUNS} malformed requests each get a 4xx JSON error, and the server still works`, async () => {
      const folder = lessonFolder(lesson, target);
      const { createApp } = (await import(pathToFileURL(path.join(folder, 'server.ts')).href)) as { createApp: (o: object) => RequestListener | Promise<RequestListener> };
      const app = await createApp({ holdMs: 100, ...(await appOptions[lesson.slug]?.(folder)) });
      const routes = routesOf(lesson.slug, app);
      expect(routes.length, `the routes of ${lesson.slug}'s server (declaredRoutes in this file, or its express router)`).toBeGreaterThan(0);
      const posts = routes.filter((r) => r.methods.includes('POST')).map((r) => r.path);
      const query = validatedQueries[lesson.slug];
      const headers = validatedHeaders[lesson.slug];
      const arbitrary = fc.oneof(
        unknownRoute(routes),
        wrongMethod(routes),
        ...posts.map((post) => badBody(post, acceptedBodies[lesson.slug])),
        ...(query ? [badQuery(query)] : []),
        ...(headers ? [badHeaders(headers)] : []),
      );
      const server = await listen(app);
      let sent = 0;
      try {
        await fc.assert(
          fc.asyncProperty(arbitrary, async (request) => {
            sent++;
            const { status, body, type } = await send(server.url, request);
            const error = (body as { error?: unknown } | undefined)?.error;
            if (status < 400 || status > 499 || !type.includes('json') || typeof error !== 'string') {
              throw new Error(`${request.what}: ${request.method} ${request.path} was answered ${status} (${type}) ${JSON.stringify(body).slice(0, 200)}`);
            }
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: false },
        );
        const good = goodRequests[lesson.slug] ?? { path: '/messages', body: '{"text":"still here"}' };
        // From another loopback address: the fuzzer's own may rightly be rate-limited by now.
        const { status } = await requestFrom('127.0.0.2', server.url, 'POST', good.path, JSON.parse(good.body));
        expect(status, `POST ${good.path} ${good.body} after the fuzzing, from another address`).toBe(good.status ?? 201);
      } finally {
        await server.close();
      }
      expect(sent).toBeGreaterThanOrEqual(RUNS);
    }, 120_000);
  }
});
