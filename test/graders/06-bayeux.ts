/**
 * Grader for lesson 06 (channels over Bayeux). Two kinds of tests:
 *
 * - the real Faye client (npm `faye`, the Node build, websocket disabled so that it long-polls)
 *   against the learner's server: what a learner's server must do for off-the-shelf clients;
 * - raw Bayeux messages over HTTP, for what a client library hides: error codes, advice, id
 *   echo, batches, held connects, expiry, limits.
 *
 * The server is graded through `POST /bayeux` and the functions the lesson text names
 * (`expand`, `Subscriptions` in channels.ts; `createApp` in server.ts; main.ts as a process).
 */
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { isErrorBody } from '../../shared/grading/bad-input.ts';
import { check, fail, show } from '../../shared/grading/failure.ts';
import { call, describeReply, outcomeWithin, startCall, type PendingCall, type Reply } from '../../shared/grading/http-client.ts';
import { loadFunction, serveLesson } from '../../shared/grading/lesson-code.ts';
import { startLessonProcess } from '../../shared/grading/processes.ts';
import { requestFrom } from '../../shared/grading/raw-http.ts';
import { checkNoTimerLeft, showDelay, watchTimers } from '../../shared/grading/timers.ts';
import type { Grader, TestContext } from '../../shared/grading/types.ts';
import { waitUntil, within } from '../../shared/grading/wait.ts';

/** A Bayeux message as the grader reads it: anything may be missing or of the wrong type. */
type Msg = Record<string, unknown> & { channel?: unknown; id?: unknown; successful?: unknown; error?: unknown; data?: unknown; advice?: unknown; clientId?: unknown };

/** The defaults the lesson text states. */
const DEFAULT_TIMEOUT_MS = 25_000;
const DEFAULT_MARGIN_MS = 10_000;
const DEFAULT_MAX_QUEUE = 1000;
const DEFAULT_MAX_BATCH = 100;
const DEFAULT_MAX_PER_ADDRESS = 1000;
const DEFAULT_MAX_CLIENTS = 20_000;
const DEFAULT_MAX_SUBSCRIPTIONS = 1000;
const MAX_BODY_BYTES = 64 * 1024;

/** A hold long enough never to end by itself during a test. */
const LONG_MS = 60_000;
/** How long a reply that should come at once may take. */
const AT_ONCE_MS = 1000;
/** How long a connect that should be held is watched before it counts as held. */
const HELD_MS = 250;

const CONNECT_LOOK = 'engine.ts TODO 5, connect(): with nothing queued, keep the connect (its answer function) with a timer of holdMs; answer it when a message comes.';

interface BayeuxApp {
  shutdown(): void;
  close?(): Promise<void>;
}

/** The learner's app with `options`, served on a free port; closed (with app.close()) when the test ends. */
async function serve(ctx: TestContext, options: Record<string, unknown> = {}) {
  const served = await serveLesson<BayeuxApp>(ctx, 'createApp', { timeoutMs: LONG_MS, ...options });
  ctx.defer(() => served.app.close?.());
  return served;
}

/** `POST /bayeux` with `messages` as JSON, answered within `withinMs`. */
function post(url: string, messages: unknown, withinMs = AT_ONCE_MS): Promise<Reply> {
  return call(url, 'POST', '/bayeux', { json: messages, withinMs });
}

/** Sends a batch that must be answered at once with 200 and a JSON array; returns the array. */
async function exchange(ctx: TestContext, url: string, messages: unknown, what: string): Promise<Msg[]> {
  ctx.step(what);
  const reply = await post(url, messages);
  return arrayOf(reply, what);
}

function arrayOf(reply: Reply, what: string, look?: string): Msg[] {
  check(reply.status === 200 && Array.isArray(reply.body) && (reply.body as unknown[]).every((m) => typeof m === 'object' && m !== null), {
    expected: `${what}: status 200 and a JSON array of messages`,
    actual: describeReply(reply),
    ...(look ? { look } : {}),
  });
  return reply.body as Msg[];
}

/** The replies of an answer (they say `successful`), and the messages delivered in it (they carry `data`). */
function split(messages: readonly Msg[]): { replies: Msg[]; delivered: Msg[] } {
  return { replies: messages.filter((m) => 'successful' in m), delivered: messages.filter((m) => !('successful' in m)) };
}

const HANDSHAKE = (id = 'h1', extra: Record<string, unknown> = {}) => ({ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id, ...extra });
const CONNECT = (clientId: string, id = 'c1', extra: Record<string, unknown> = {}) => ({ channel: '/meta/connect', clientId, connectionType: 'long-polling', id, ...extra });
const SUBSCRIBE = (clientId: string, subscription: unknown, id = 's1') => ({ channel: '/meta/subscribe', clientId, subscription, id });
const PUBLISH = (channel: string, data: unknown, id = 'p1', extra: Record<string, unknown> = {}) => ({ channel, data, id, ...extra });

/** A successful handshake; returns the clientId. */
async function handshake(ctx: TestContext, url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const [reply] = await exchange(ctx, url, [HANDSHAKE('h1', extra)], 'POST /bayeux [/meta/handshake]');
  check(reply?.successful === true && typeof reply.clientId === 'string' && reply.clientId !== '', {
    expected: 'the handshake answered [{ "channel": "/meta/handshake", "successful": true, "clientId": "…", … }]',
    actual: show(reply),
    look: 'server.ts TODO 9, handshake(): a successful reply with the clientId that engine.handshake() gives; engine.ts TODO 4 makes it.',
  });
  return reply.clientId as string;
}

/** Subscribes `clientId` to `subscription` (a pattern or a list), which must succeed. */
async function subscribe(ctx: TestContext, url: string, clientId: string, subscription: string | string[]): Promise<void> {
  const [reply] = await exchange(ctx, url, [SUBSCRIBE(clientId, subscription)], `subscribing to ${show(subscription)}`);
  check(reply?.successful === true, {
    expected: `the subscription to ${show(subscription)} answered with "successful": true`,
    actual: show(reply),
    look: 'server.ts TODO 11, subscribe(): check the client and every pattern, then engine.subscribe(); channels.ts TODO 2 keeps the subscriptions.',
  });
}

/** Publishes `data` on `channel`, which must be acknowledged. */
async function publish(ctx: TestContext, url: string, channel: string, data: unknown, extra: Record<string, unknown> = {}): Promise<void> {
  const [reply] = await exchange(ctx, url, [PUBLISH(channel, data, 'p1', extra)], `publishing ${show(data)} on ${channel}`);
  check(reply?.successful === true, {
    expected: `the publish on ${channel} answered with "successful": true`,
    actual: show(reply),
    look: 'server.ts TODO 13, publish(): a valid channel with data is acknowledged { "channel", "successful": true, "id" }.',
  });
}

/** Starts a /meta/connect for `clientId`; the server may hold it. Aborted when the test ends. */
function startConnect(ctx: TestContext, url: string, clientId: string, id = 'c1', extra: Record<string, unknown> = {}): PendingCall {
  ctx.step(`POST /bayeux [/meta/connect] for ${clientId}`);
  const pending = startCall(url, 'POST', '/bayeux', { json: [CONNECT(clientId, id, extra)] });
  ctx.defer(() => pending.abort());
  return pending;
}

/** Fails unless `pending` is still open after HELD_MS. */
async function expectHeld(ctx: TestContext, pending: PendingCall, why: string, look = CONNECT_LOOK): Promise<void> {
  ctx.step(`checking that the connect is held ${why}`);
  const early = await outcomeWithin(pending, HELD_MS);
  if (early) {
    fail({
      expected: `the /meta/connect held (still open after ${HELD_MS} ms) ${why}`,
      actual: early.kind === 'reply' ? `it was answered after ${Math.round(early.reply.ms)} ms: ${describeReply(early.reply)}` : 'the connection broke',
      look,
    });
  }
}

/** The answer to a connect within `withinMs`, split into replies and delivered messages. */
async function connectAnswer(ctx: TestContext, pending: PendingCall, withinMs: number, after: string, look = CONNECT_LOOK): Promise<{ reply: Msg; delivered: Msg[]; all: Msg[]; ms: number }> {
  ctx.step(`waiting for the connect to be answered ${after}`);
  const outcome = await outcomeWithin(pending, withinMs);
  if (!outcome) fail({ expected: `the /meta/connect answered ${after}`, actual: `it was still open ${withinMs} ms later`, look });
  if (outcome.kind === 'error') fail({ expected: `the /meta/connect answered ${after}`, actual: `the connection broke after ${Math.round(outcome.ms)} ms`, look });
  const all = arrayOf(outcome.reply, `the answer to /meta/connect ${after}`, look);
  const { replies, delivered } = split(all);
  const reply = replies.find((m) => m.channel === '/meta/connect');
  check(reply?.successful === true, {
    expected: `the connect ${after} answered with a reply { "channel": "/meta/connect", "successful": true, … }`,
    actual: show(all),
    look,
  });
  return { reply, delivered, all, ms: outcome.reply.ms };
}

/** Deep equality, whatever the order of the keys. */
const same = (actual: unknown, expected: unknown) => isDeepStrictEqual(actual, expected);

/** The `data` of delivered messages, for messages. */
const dataOf = (messages: readonly Msg[]) => messages.map((m) => m.data);

/**
 * Connects `clientId` when messages are waiting for it: the connect must be answered at once,
 * and deliver exactly the data `expected` (`what` says it in words).
 */
async function expectDelivered(ctx: TestContext, url: string, clientId: string, expected: unknown[], after: string, what: string, id = 'c1'): Promise<void> {
  const got = await connectAnswer(ctx, startConnect(ctx, url, clientId, id), AT_ONCE_MS, after);
  check(same(dataOf(got.delivered), expected), { expected: what, actual: `data ${show(dataOf(got.delivered))}` });
}

/** Fails unless `error` is a Bayeux error string with `code`. */
/**
 * Fails unless `reply` is refused with a Bayeux error string of `code`; with `args`, the
 * error must also name what it is about: `"405:/a/*:Invalid channel"`.
 */
function expectError(reply: Msg | undefined, code: number, what: string, look?: string, args?: string): void {
  const error = reply?.error;
  const form = new RegExp(`^${code}:[^:]*:.+$`);
  check(reply?.successful === false && typeof error === 'string' && form.test(error) && (args === undefined || error.startsWith(`${code}:${args}:`)), {
    expected: `${what}: a reply with "successful": false and "error": "${code}:${args ?? '<args>'}:<message>"${args === undefined ? '' : ` (the args say what the error is about: ${show(args)})`}`,
    actual: show(reply),
    ...(look ? { look } : {}),
  });
}

// ---------------------------------------------------------------------------------------
// The real Faye client.

interface FayeThenable {
  then(onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown): unknown;
}
interface FayeSubscription extends FayeThenable {
  cancel(): void;
}
interface FayeExtension {
  incoming?(message: Msg, callback: (message: Msg) => void): void;
  outgoing?(message: Msg, callback: (message: Msg) => void): void;
}
interface FayeClient {
  subscribe(channel: string, onMessage: (data: unknown) => void): FayeSubscription;
  publish(channel: string, data: unknown): FayeThenable;
  disable(feature: string): void;
  disconnect(): FayeThenable | undefined;
  addExtension(extension: FayeExtension): void;
}
interface FayeModule {
  Client: new (endpoint: string, options?: Record<string, unknown>) => FayeClient;
}

const faye = createRequire(import.meta.url)('faye') as FayeModule;

/** The replies to its meta messages each Faye client got, newest last, for failure messages. */
const metaReplies = new WeakMap<FayeClient, string[]>();

/** A Faye client of the server at `url` that long-polls (no websocket), retries fast, and is stopped when the test ends. */
function fayeClient(ctx: TestContext, url: string): FayeClient {
  const client = new faye.Client(`${url}/bayeux`, { retry: 0.1, timeout: 10 });
  client.disable('websocket');
  client.disable('eventsource');
  const log: string[] = [];
  metaReplies.set(client, log);
  client.addExtension({
    incoming(message, callback) {
      if (typeof message.channel === 'string' && message.channel.startsWith('/meta/')) {
        log.push(`${message.channel} ${message.successful === true ? 'successful' : `refused ${show(message.error)}`}`);
      }
      callback(message);
    },
  });
  ctx.defer(() => stopFaye(client));
  return client;
}

/** What the server answered a Faye client's meta messages, lately: a failure shows it. */
function describeMetaReplies(client: FayeClient): string {
  const log = metaReplies.get(client) ?? [];
  return log.length === 0 ? 'the client got no reply to any meta message (handshake, connect, subscribe)' : `the last replies it got: ${log.slice(-4).join('; ')}`;
}

/** Disconnects a Faye client, and makes sure it tries nothing more (no handshake, no retry). */
async function stopFaye(client: FayeClient): Promise<void> {
  const done = client.disconnect();
  if (done) await within(new Promise<void>((resolve) => void done.then(() => resolve(), () => resolve())), 1000, undefined);
  // Faye's own fields: DISCONNECTED stops connects and handshakes; no transport stops retries.
  const inner = client as unknown as { _state: number; _dispatcher: { close(): void; _envelopes: Map<unknown, { timer?: NodeJS.Timeout }> } };
  inner._state = 4;
  for (const envelope of inner._dispatcher._envelopes.values()) clearTimeout(envelope.timer);
  inner._dispatcher.close();
}

/** Waits for a Faye subscribe or publish to be acknowledged; fails with what the server said. */
async function acknowledged(ctx: TestContext, client: FayeClient, what: string, thenable: FayeThenable, look: string, withinMs = 3000): Promise<void> {
  ctx.step(`waiting for Faye's ${what} to be acknowledged`);
  const outcome = await within(
    new Promise<{ ok: boolean; error?: unknown }>((resolve) => void thenable.then(() => resolve({ ok: true }), (error) => resolve({ ok: false, error }))),
    withinMs,
    undefined,
  );
  if (!outcome) fail({ expected: `Faye's ${what} acknowledged within ${withinMs} ms`, actual: `no acknowledgement came; ${describeMetaReplies(client)}`, look });
  check(outcome.ok, { expected: `Faye's ${what} to succeed`, actual: `the server refused it: ${show(String(outcome.error))}`, look });
}

/** What a Faye subscription received, and a way to wait for it. */
function inbox() {
  const got: unknown[] = [];
  return {
    got,
    onMessage: (data: unknown) => void got.push(data),
    async reaches(count: number, withinMs: number): Promise<boolean> {
      return (await waitUntil(() => (got.length >= count ? true : undefined), { withinMs })) === true;
    },
  };
}

const FAYE_LOOK = 'server.ts TODOs 9–13 and engine.ts TODOs 4–6: Faye handshakes, connects (held), subscribes and publishes exactly as the raw tests do; make those pass first.';

export const grader: Grader = {
  lesson: '06-bayeux',
  tests: [
    {
      id: 'expand',
      title: 'channels: expand(channel) gives the channel and every pattern that matches it (* for the last segment, ** for any tail)',
      look: 'channels.ts TODO 1, expand(): the name itself, its last segment replaced by *, and ** after every prefix (/**, /a/**, /a/b/**).',
      async run(ctx) {
        const expand = await loadFunction<(channel: string) => unknown>(ctx, 'channels.ts', 'expand');
        const cases: Array<[string, string[]]> = [
          ['/a/b/c', ['/a/b/c', '/a/b/*', '/**', '/a/**', '/a/b/**']],
          ['/a', ['/a', '/*', '/**']],
          ['/chat/room-1', ['/chat/room-1', '/chat/*', '/**', '/chat/**']],
        ];
        for (const [channel, expected] of cases) {
          const got = expand(channel);
          const same = Array.isArray(got) && got.length === expected.length && new Set(got).size === expected.length && expected.every((p) => got.includes(p));
          check(same, { expected: `expand(${show(channel)}) to give exactly ${show(expected)} (in any order)`, actual: show(got) });
        }
      },
    },
    {
      id: 'subscriptions-class',
      title: 'channels: Subscriptions gives every matching subscriber once, and forgets unsubscribed and removed clients',
      look: 'channels.ts TODOs 2–3: subscribe/unsubscribe/forget keep both indexes; recipients(channel) looks up each pattern of expand(channel) and collects the clients in a Set.',
      async run(ctx) {
        const module = await ctx.load<{ Subscriptions?: new () => { subscribe(c: string, p: string): void; unsubscribe(c: string, p: string): void; forget(c: string): void; recipients(ch: string): Iterable<string> } }>('channels.ts');
        check(typeof module.Subscriptions === 'function', { expected: 'channels.ts to export the class Subscriptions', actual: `it exports ${show(Object.keys(module))}` });
        const subs = new module.Subscriptions();
        const recipients = (channel: string) => [...subs.recipients(channel)].sort();
        subs.subscribe('ann', '/news/*');
        subs.subscribe('ann', '/news/**');
        subs.subscribe('ann', '/**');
        subs.subscribe('ben', '/news/sport');
        subs.subscribe('cy', '/weather');
        check(show(recipients('/news/sport')) === show(['ann', 'ben']), {
          expected: 'recipients("/news/sport") to be ann (subscribed to three matching patterns, counted once) and ben',
          actual: show(recipients('/news/sport')),
        });
        check(show(recipients('/news/sport/live')) === show(['ann']), { expected: 'recipients("/news/sport/live") to be ann only (ben\'s /news/sport does not match a longer name)', actual: show(recipients('/news/sport/live')) });
        subs.unsubscribe('ben', '/news/sport');
        check(show(recipients('/news/sport')) === show(['ann']), { expected: 'after ben unsubscribes from /news/sport, recipients("/news/sport") to be ann only', actual: show(recipients('/news/sport')) });
        subs.forget('ann');
        check(show(recipients('/news/sport')) === show([]) && show(recipients('/weather')) === show(['cy']), {
          expected: 'after forget("ann"), nobody for /news/sport and cy alone for /weather',
          actual: `/news/sport: ${show(recipients('/news/sport'))}, /weather: ${show(recipients('/weather'))}`,
        });
      },
    },
    {
      id: 'handshake',
      title: 'handshake: version 1.0, long-polling, a clientId of 128 random bits or more, advice { reconnect: "retry", interval, timeout }',
      look: 'server.ts TODO 9, handshake(), and engine.ts TODO 4: randomBytes(16) or more for the clientId, in hex or base64url.',
      async run(ctx) {
        const { url } = await serve(ctx, { timeoutMs: 4321, intervalMs: 123 });
        ctx.step('POST /bayeux [/meta/handshake]');
        const reply = await post(url, [HANDSHAKE('first')]);
        const [answer] = arrayOf(reply, 'the handshake');
        check(/^application\/json/.test(reply.headers.get('content-type') ?? '') && /no-store/.test(reply.headers.get('cache-control') ?? ''), {
          expected: 'the answer sent with Content-Type: application/json and Cache-Control: no-store',
          actual: `Content-Type: ${show(reply.headers.get('content-type'))}, Cache-Control: ${show(reply.headers.get('cache-control'))}`,
          look: 'server.ts (given): answer with sendJson().',
        });
        const advice = answer?.advice as Record<string, unknown> | undefined;
        check(
          answer?.channel === '/meta/handshake' && answer.successful === true && answer.version === '1.0' && Array.isArray(answer.supportedConnectionTypes) && answer.supportedConnectionTypes.includes('long-polling'),
          { expected: 'a reply { "channel": "/meta/handshake", "successful": true, "version": "1.0", "supportedConnectionTypes": ["long-polling"], … }', actual: show(answer) },
        );
        check(advice?.reconnect === 'retry' && advice.interval === 123 && advice.timeout === 4321, {
          expected: 'advice { "reconnect": "retry", "interval": 123, "timeout": 4321 } for an app made with { timeoutMs: 4321, intervalMs: 123 } (milliseconds, as given)',
          actual: `advice ${show(advice)}`,
          look: 'server.ts TODO 9: send the app\'s advice (reconnect "retry", interval intervalMs, timeout timeoutMs) with the handshake.',
        });
        const ids = [answer.clientId];
        for (let n = 0; n < 20; n++) ids.push(await handshake(ctx, url));
        const strong = (id: unknown) => typeof id === 'string' && (/^[0-9a-f]{32,}$/i.test(id) || /^[A-Za-z0-9_-]{22,}$/.test(id)) && !/^\d+$/.test(id);
        check(ids.every(strong) && new Set(ids).size === ids.length, {
          expected: 'every clientId different, and 128 random bits or more: 32+ hex digits or 22+ base64url characters (a clientId is all a client shows to be itself: it must not be guessable)',
          actual: `clientIds ${show(ids.slice(0, 4))}…`,
        });
      },
    },
    {
      id: 'handshake-connection-types',
      title: 'handshake: a client without long-polling gets 301, one without supportedConnectionTypes 400',
      look: 'server.ts TODO 9, handshake(): supportedConnectionTypes must be an array (else 400) that includes "long-polling" (else 301).',
      async run(ctx) {
        const { url } = await serve(ctx);
        const [noLongPolling] = await exchange(ctx, url, [HANDSHAKE('h1', { supportedConnectionTypes: ['callback-polling', 'websocket'] })], 'a handshake offering only callback-polling and websocket');
        expectError(noLongPolling, 301, 'a handshake without "long-polling" in supportedConnectionTypes', undefined, 'callback-polling,websocket');
        const offered = noLongPolling?.supportedConnectionTypes;
        check(Array.isArray(offered) && offered.includes('long-polling'), {
          expected: 'the refusal to say what the server offers: "supportedConnectionTypes": ["long-polling"]',
          actual: show(noLongPolling),
          look: 'server.ts TODO 9: every handshake reply, a refusal too, carries version and supportedConnectionTypes.',
        });
        // Args name only types that can stand in code:args:message, five at most.
        const odd = ['callback-polling', 'bad:type', 7, 'a,b', 'websocket', 'eventsource', 'in-process', 'x1', 'x2'];
        const [oddTypes] = await exchange(ctx, url, [HANDSHAKE('h3', { supportedConnectionTypes: odd })], `a handshake offering ${show(odd)}`);
        expectError(oddTypes, 301, `a handshake offering ${show(odd)}`, 'server.ts TODO 9: the 301 args are the offered types that are strings and isChannelSafe, five at most.', 'callback-polling,websocket,eventsource,in-process,x1');
        const [missing] = await exchange(ctx, url, [{ channel: '/meta/handshake', version: '1.0', id: 'h2' }], 'a handshake without supportedConnectionTypes');
        expectError(missing, 400, 'a handshake without supportedConnectionTypes', undefined, 'supportedConnectionTypes');
        await handshake(ctx, url);
      },
    },
    {
      id: 'connect-held',
      title: 'connect: held while nothing waits, answered with the reply and the message as soon as one is published',
      look: CONNECT_LOOK,
      async run(ctx) {
        const { url } = await serve(ctx, { timeoutMs: LONG_MS, intervalMs: 7 });
        const listener = await handshake(ctx, url);
        await subscribe(ctx, url, listener, '/room');
        const pending = startConnect(ctx, url, listener, 'held-1');
        await expectHeld(ctx, pending, 'while no message is published');
        await publish(ctx, url, '/room', { text: 'hello' });
        const { reply, delivered } = await connectAnswer(ctx, pending, AT_ONCE_MS, 'once a message is published on /room');
        const advice = reply.advice as Record<string, unknown> | undefined;
        check(reply.clientId === listener && reply.id === 'held-1' && advice?.reconnect === 'retry' && advice.timeout === LONG_MS && advice.interval === 7, {
          expected: `the connect reply { "channel": "/meta/connect", "successful": true, "clientId": "${listener}", "id": "held-1", "advice": { "reconnect": "retry", "interval": 7, "timeout": ${LONG_MS} } }`,
          actual: show(reply),
          look: 'server.ts TODO 10, connect(): the reply carries clientId, the echoed id and the advice.',
        });
        check(same(delivered, [{ channel: '/room', data: { text: 'hello' } }]), {
          expected: 'the published message after the reply, in the same array: { "channel": "/room", "data": { "text": "hello" } }',
          actual: show(delivered),
          look: 'engine.ts TODO 6, publish(): queue the message for each recipient and wake its held connect; server.ts TODO 13 publishes { channel, data }.',
        });
      },
    },
    {
      id: 'publish-wakes-only-recipients',
      title: 'connect: a publish answers the held connects of its recipients only, every time',
      look: 'engine.ts TODO 6, publish(): only the recipients of the channel go in #toWake (the given #wake() answers them and empties the set).',
      async run(ctx) {
        const { url } = await serve(ctx);
        const ann = await handshake(ctx, url);
        const ben = await handshake(ctx, url);
        await subscribe(ctx, url, ann, '/to/ann');
        await subscribe(ctx, url, ben, '/to/ben');
        const annFirst = startConnect(ctx, url, ann, 'ann-1');
        const benHeld = startConnect(ctx, url, ben, 'ben-1');
        await expectHeld(ctx, annFirst, 'before any publish');
        await publish(ctx, url, '/to/ann', 'for ann');
        const first = await connectAnswer(ctx, annFirst, AT_ONCE_MS, 'once a message for ann is published');
        check(show(dataOf(first.delivered)) === '["for ann"]', { expected: 'ann\'s connect answered with "for ann"', actual: show(first.all) });
        await expectHeld(ctx, benHeld, 'after a publish for ann only (ben subscribed to /to/ben)');
        const annSecond = startConnect(ctx, url, ann, 'ann-2');
        await expectHeld(ctx, annSecond, 'after ann got her message and connected again');
        await publish(ctx, url, '/to/ben', 'for ben');
        const second = await connectAnswer(ctx, benHeld, AT_ONCE_MS, 'once a message for ben is published');
        check(show(dataOf(second.delivered)) === '["for ben"]', { expected: 'ben\'s connect answered with "for ben"', actual: show(second.all) });
        await expectHeld(ctx, annSecond, 'after a publish for ben only: nothing is waiting for ann');
      },
    },
    {
      id: 'connect-timeout',
      title: 'connect: with nothing to deliver it is answered after timeoutMs (or at once when it asks for advice { timeout: 0 }), successfully, with no message',
      look: 'engine.ts TODO 5, connect(): the held connect\'s timer of holdMs answers it with nothing.',
      timeoutMs: 6000,
      async run(ctx) {
        const { url } = await serve(ctx, { timeoutMs: 800 });
        const clientId = await handshake(ctx, url);
        const asked = await connectAnswer(ctx, startConnect(ctx, url, clientId, 'c0', { advice: { timeout: 0 } }), 500, 'at once: it asks for advice { timeout: 0 }', 'server.ts TODO 10: hold for holdFor(message), which honours a shorter advice.timeout from the client.');
        check(asked.delivered.length === 0, { expected: 'no message in the answer', actual: show(asked.all) });
        const pending = startConnect(ctx, url, clientId);
        const { delivered, ms } = await connectAnswer(ctx, pending, 3000, 'after timeoutMs (800 ms)');
        check(ms >= 700 && delivered.length === 0, {
          expected: 'the connect answered about 800 ms after it was sent (timeoutMs), with no message',
          actual: `it was answered after ${Math.round(ms)} ms with ${show(delivered)}`,
        });
        const longer = await connectAnswer(ctx, startConnect(ctx, url, clientId, 'c2', { advice: { timeout: 60_000 } }), 3000, 'after timeoutMs, though it asks for advice { timeout: 60000 }');
        check(longer.ms >= 700, { expected: 'a connect asking for a longer hold than timeoutMs held about 800 ms all the same (the server decides the longest)', actual: `it was answered after ${Math.round(longer.ms)} ms` });
        const shorter = await connectAnswer(ctx, startConnect(ctx, url, clientId, 'c3', { advice: { timeout: 100 } }), 3000, 'after 100 ms: it asks for advice { timeout: 100 }');
        check(shorter.ms >= 80 && shorter.ms < 600, {
          expected: 'a connect asking for advice { timeout: 100 } answered after about 100 ms',
          actual: `it was answered after ${Math.round(shorter.ms)} ms`,
          look: 'server.ts TODO 10: hold for holdFor(message), which honours a shorter advice.timeout from the client.',
        });
      },
    },
    {
      id: 'connect-at-once-when-queued',
      title: 'connect: answered at once with everything queued since the last one, in order — nothing is lost between two connects',
      look: 'engine.ts TODO 5, connect(): when the client\'s queue has messages, answer at once with all of them (and empty the queue).',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        await subscribe(ctx, url, clientId, '/q');
        for (let n = 1; n <= 3; n++) await publish(ctx, url, '/q', n);
        await expectDelivered(ctx, url, clientId, [1, 2, 3], 'right away: three messages are waiting', 'the three messages published before the connect, in one answer, in order: data 1, 2, 3');
        const second = startConnect(ctx, url, clientId, 'c2');
        await expectHeld(ctx, second, 'after the queue was delivered (each message goes out once)', 'engine.ts TODO 5: empty the queue once its messages are written.');
      },
    },
    {
      id: 'older-connect-answered',
      title: 'connect: a newer connect from the same client answers the older one at once; the newer one is held and gets the messages',
      look: 'engine.ts TODO 5, connect(): if the client already has a held connect, answer it at once (with nothing) before holding the new one.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        await subscribe(ctx, url, clientId, '/twice');
        const older = startConnect(ctx, url, clientId, 'older');
        await expectHeld(ctx, older, 'before the second connect');
        const newer = startConnect(ctx, url, clientId, 'newer');
        const answered = await connectAnswer(ctx, older, AT_ONCE_MS, 'as soon as a newer connect from the same client arrives');
        check(answered.reply.id === 'older' && answered.delivered.length === 0, { expected: 'the older connect answered with its own id ("older") and no message', actual: show(answered.all) });
        await expectHeld(ctx, newer, 'after it replaced the older one');
        await publish(ctx, url, '/twice', 'once');
        const last = await connectAnswer(ctx, newer, AT_ONCE_MS, 'once a message is published');
        check(last.reply.id === 'newer' && show(dataOf(last.delivered)) === '["once"]', { expected: 'the newer connect answered with the message', actual: show(last.all) });
      },
    },
    {
      id: 'id-echo',
      title: 'every reply echoes the id of its message (strings and numbers), errors included; no id when none was sent',
      look: 'server.ts TODO 8, withId(): copy message.id into the reply whenever the message had one.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        const batch = [
          { ...HANDSHAKE(), id: 'a' },
          { ...SUBSCRIBE(clientId, '/ids'), id: 7 },
          { channel: '/meta/unsubscribe', clientId, subscription: '/ids', id: 'x-9' },
          PUBLISH('/ids', 1, 'pub'),
          PUBLISH('/ids/*', 1, 'bad'),
          { ...SUBSCRIBE('nobody', '/ids'), id: 'unknown' },
          PUBLISH('/ids', 2, 0 as unknown as string),
          { channel: '/meta/disconnect', clientId, id: 42 },
        ];
        const replies = await exchange(ctx, url, batch, 'a batch of eight messages with ids, one of them 0');
        check(show(replies.map((r) => r.id)) === show(batch.map((m) => m.id)), {
          expected: `the replies' ids ${show(batch.map((m) => m.id))}, in order`,
          actual: `ids ${show(replies.map((r) => r.id))}`,
        });
        const clientId2 = await handshake(ctx, url);
        const [noId] = await exchange(ctx, url, [{ channel: '/meta/subscribe', clientId: clientId2, subscription: '/n' }], 'a subscribe without an id');
        check(noId !== undefined && !('id' in noId) && noId.successful === true, { expected: 'a reply without an "id" field for a message that had none', actual: show(noId) });
      },
    },
    {
      id: 'batching',
      title: 'batches: several messages in one request get their replies in order in one answer; a connect in the batch brings the messages after them',
      look: 'server.ts (given) onPost() handles each message in order; server.ts TODOs 9–13 give each its reply.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        const batch = [SUBSCRIBE(clientId, '/batch', 'b1'), PUBLISH('/batch', 'one', 'b2'), PUBLISH('/batch', 'two', 'b3'), PUBLISH('/other', 'three', 'b4'), CONNECT(clientId, 'b5')];
        ctx.step('one request: subscribe, three publishes, connect');
        const all = arrayOf(await post(url, batch), 'the batch');
        const { replies, delivered } = split(all);
        check(show(replies.map((r) => [r.channel, r.id, r.successful])) === show(batch.map((m) => [m.channel, m.id, true])), {
          expected: `five successful replies in the order of the batch: ${show(batch.map((m) => m.channel))}`,
          actual: show(replies.map((r) => ({ channel: r.channel, id: r.id, successful: r.successful }))),
        });
        check(show(dataOf(delivered)) === show(['one', 'two']) && all.indexOf(delivered[0]!) > all.indexOf(replies.at(-1)!), {
          expected: 'after the replies, the two messages published on /batch in the batch ("one", "two"; not "three", on /other)',
          actual: show(all),
          look: 'engine.ts TODOs 5–6: the connect at the end of the batch finds the two messages queued and is answered at once with both.',
        });
        ctx.step('one message alone, not in an array');
        const [alone] = arrayOf(await post(url, HANDSHAKE('alone')), 'a handshake sent as one object, not in an array');
        check(alone?.successful === true && alone.id === 'alone', { expected: 'one object alone treated as a batch of one: the answer [{ …handshake reply…, "id": "alone" }]', actual: show(alone), look: 'server.ts (given) readMessages(): a single object becomes [object].' });
      },
    },
    {
      id: 'unknown-client',
      title: 'an unknown clientId gets "402::Unknown client" with advice { reconnect: "handshake" } — also a subscribe before any handshake',
      look: 'server.ts TODOs 10–12: first check engine.has(clientId); if not, return unknownClient(message).',
      async run(ctx) {
        const { url } = await serve(ctx);
        const messages = [CONNECT('not-a-client', 'u1'), SUBSCRIBE('not-a-client', '/x', 'u2'), { channel: '/meta/unsubscribe', clientId: 'not-a-client', subscription: '/x', id: 'u3' }, { channel: '/meta/disconnect', clientId: 'not-a-client', id: 'u4' }, SUBSCRIBE(undefined as unknown as string, '/x', 'u5')];
        const replies = await exchange(ctx, url, messages, 'connect, subscribe, unsubscribe and disconnect with an unknown clientId, and a subscribe with none');
        messages.forEach((message, i) => {
          const reply = replies[i];
          check(reply?.successful === false && reply.error === '402::Unknown client' && (reply.advice as { reconnect?: unknown } | undefined)?.reconnect === 'handshake', {
            expected: `${message.channel} ${message.clientId === undefined ? 'without a clientId' : 'from an unknown client'} answered { "successful": false, "error": "402::Unknown client", "advice": { "reconnect": "handshake" } }`,
            actual: show(reply),
          });
        });
      },
    },
    {
      id: 'forbidden-channels',
      title: 'publishing to /meta/… and subscribing to /meta/… or /service/… get 403',
      look: 'server.ts TODO 11 (problemWithPatterns: /meta and /service patterns are forbidden) and TODO 13 (publish: /meta/… is forbidden).',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        const cases: Array<[unknown, string, string]> = [
          [PUBLISH('/meta/whatever', 1), 'a publish to /meta/whatever', '/meta/whatever'],
          // a ":" in the args would break "code:args:message": such a channel is left out
          [PUBLISH('/meta/a:b', 1), 'a publish to /meta/a:b', ''],
          [SUBSCRIBE(clientId, '/meta/connect'), 'a subscribe to /meta/connect', '/meta/connect'],
          [SUBSCRIBE(clientId, '/meta/**'), 'a subscribe to /meta/**', '/meta/**'],
          [SUBSCRIBE(clientId, '/service/echo'), 'a subscribe to /service/echo', '/service/echo'],
          [SUBSCRIBE(clientId, '/service/**'), 'a subscribe to /service/**', '/service/**'],
        ];
        for (const [message, what, args] of cases) expectError((await exchange(ctx, url, [message], what))[0], 403, what, undefined, args);
        const [mixed] = await exchange(ctx, url, [SUBSCRIBE(clientId, ['/fine', '/service/x'])], 'a subscribe to ["/fine", "/service/x"]');
        expectError(mixed, 403, 'a subscribe to a list with one forbidden channel', undefined, '/service/x');
        check(mixed?.clientId === clientId && same(mixed.subscription, ['/fine', '/service/x']), {
          expected: 'the refusal to carry the clientId and echo the subscription as sent: ["/fine", "/service/x"]',
          actual: show(mixed),
          look: 'server.ts TODO 11: a refused (un)subscribe carries clientId and subscription too.',
        });
        await publish(ctx, url, '/fine', 'must not arrive');
        const got = await connectAnswer(ctx, startConnect(ctx, url, clientId, 'c', { advice: { timeout: 0 } }), AT_ONCE_MS, 'at once (it asks for advice { timeout: 0 })');
        check(got.delivered.length === 0, {
          expected: 'nothing delivered on /fine: a subscribe refused for one of its channels subscribes to none of them (all or nothing)',
          actual: show(got.delivered),
          look: 'server.ts TODO 11: check every pattern first, then subscribe to all of them.',
        });
      },
    },
    {
      id: 'invalid-channels',
      title: 'bad channel names, and publishing to a wildcard, get 405',
      look: 'server.ts TODO 13 (publish to a name only: isChannelName) and TODO 11 (subscribe to a name or a pattern: isChannelOrPattern).',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        // The args name the channel, when it can stand in them (no ":" or ",").
        const named = (channel: string) => (/^[\w/*\-]+$/.test(channel) ? channel : undefined);
        for (const channel of ['/a b', 'no-slash', '/a//b', '/a/', '/a/*', '/a/**', '/a/b:c', '/é']) {
          expectError((await exchange(ctx, url, [PUBLISH(channel, 1)], `a publish to ${show(channel)}`))[0], 405, `a publish to ${show(channel)}`, undefined, named(channel));
        }
        for (const pattern of ['/a/**/b', '/a/*x', '/*/a', 'a/*', '/a b/*']) {
          expectError((await exchange(ctx, url, [SUBSCRIBE(clientId, pattern)], `a subscribe to ${show(pattern)}`))[0], 405, `a subscribe to ${show(pattern)}`, undefined, named(pattern));
        }
        await subscribe(ctx, url, clientId, ['/fine', '/fine/*', '/fine/**', '/**', '/A-z_0!~()$@']);
      },
    },
    {
      id: 'missing-parameters',
      title: 'a publish without data, a (un)subscribe without subscription, a connect without connectionType, a second connect in a request: 400; another connection type: 301',
      look: 'server.ts TODOs 10, 11 and 13: check each required field and answer missing("…").',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        const cases: Array<[unknown, number, string, string]> = [
          [{ channel: '/a', id: 'p' }, 400, 'a publish without data', 'data'],
          [{ channel: '/meta/subscribe', clientId, id: 's' }, 400, 'a subscribe without subscription', 'subscription'],
          [{ channel: '/meta/subscribe', clientId, subscription: [], id: 's' }, 400, 'a subscribe to an empty list', 'subscription'],
          [{ channel: '/meta/unsubscribe', clientId, id: 'u' }, 400, 'an unsubscribe without subscription', 'subscription'],
          [{ channel: '/meta/connect', clientId, id: 'c' }, 400, 'a connect without connectionType', 'connectionType'],
          [{ channel: '/meta/connect', clientId, connectionType: 'callback-polling', id: 'c' }, 301, 'a connect with connectionType "callback-polling"', 'callback-polling'],
        ];
        for (const [message, code, what, args] of cases) {
          const [reply] = await exchange(ctx, url, [message], what);
          expectError(reply, code, what, undefined, args);
          if ((message as { channel: string }).channel === '/meta/connect') {
            check(reply?.clientId === clientId, { expected: `${what}: the refusal still carries the clientId`, actual: show(reply), look: 'server.ts TODO 10: a refused connect carries { clientId }.' });
          }
        }
        const [unsafe] = await exchange(ctx, url, [{ channel: '/meta/connect', clientId, connectionType: 'long:polling', id: 'c' }], 'a connect with connectionType "long:polling"');
        expectError(unsafe, 301, 'a connect with connectionType "long:polling" (a ":" cannot stand in the args)', 'server.ts TODO 10: the args name the type only when isChannelSafe.', '');
        const [first, second] = await exchange(ctx, url, [CONNECT(clientId, 'c1', { advice: { timeout: 0 } }), CONNECT(clientId, 'c2')], 'two connects in one request');
        check(first?.successful === true, { expected: 'the first connect of the request answered successfully', actual: show(first) });
        expectError(second, 400, 'the second connect in one request', 'server.ts (given) handle(): one connect per request; TODO 10 returns the connect to hold.');
      },
    },
    {
      id: 'subscribe-list',
      title: 'subscribe and unsubscribe take a list of channels as well as one; the reply echoes it',
      look: 'server.ts TODO 11: a subscription is a string or an array of strings — handle every entry, not the first only.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        const [reply] = await exchange(ctx, url, [SUBSCRIBE(clientId, ['/l/one', '/l/two', '/l/three'])], 'a subscribe to ["/l/one", "/l/two", "/l/three"]');
        check(reply?.successful === true && show(reply.subscription) === show(['/l/one', '/l/two', '/l/three']) && reply.clientId === clientId, {
          expected: 'the reply { "channel": "/meta/subscribe", "successful": true, "clientId": …, "subscription": ["/l/one", "/l/two", "/l/three"] }',
          actual: show(reply),
        });
        for (const channel of ['/l/one', '/l/two', '/l/three']) await publish(ctx, url, channel, channel);
        await expectDelivered(ctx, url, clientId, ['/l/one', '/l/two', '/l/three'], 'after publishes on the three channels', 'a message from each of the three channels');
        const [gone] = await exchange(ctx, url, [{ channel: '/meta/unsubscribe', clientId, subscription: ['/l/one', '/l/three'], id: 'u' }], 'an unsubscribe from ["/l/one", "/l/three"]');
        check(gone?.successful === true && show(gone.subscription) === show(['/l/one', '/l/three']), { expected: 'a successful unsubscribe reply echoing the list', actual: show(gone) });
        for (const channel of ['/l/one', '/l/two', '/l/three']) await publish(ctx, url, channel, channel);
        await expectDelivered(ctx, url, clientId, ['/l/two'], 'after publishes on the three channels again', 'only the message on /l/two, the one channel left', 'c2');
      },
    },
    {
      id: 'wildcards',
      title: 'wildcards: /w/* matches /w/x only; /w/** matches /w/x and /w/x/y; /** everything; none matches /w itself',
      look: 'channels.ts TODO 1, expand(): * replaces the last segment only; ** replaces any tail of one segment or more.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const one = await handshake(ctx, url);
        const any = await handshake(ctx, url);
        const all = await handshake(ctx, url);
        await subscribe(ctx, url, one, '/w/*');
        await subscribe(ctx, url, any, '/w/**');
        await subscribe(ctx, url, all, '/**');
        for (const channel of ['/w', '/w/x', '/w/x/y', '/other']) await publish(ctx, url, channel, channel);
        const expectations: Array<[string, string, string[]]> = [
          [one, '/w/*', ['/w/x']],
          [any, '/w/**', ['/w/x', '/w/x/y']],
          [all, '/**', ['/w', '/w/x', '/w/x/y', '/other']],
        ];
        for (const [clientId, pattern, expected] of expectations) {
          const what = `the client subscribed to ${pattern} gets the messages on ${show(expected)} (published on /w, /w/x, /w/x/y, /other)`;
          await expectDelivered(ctx, url, clientId, expected, `for the client subscribed to ${pattern}`, what);
        }
      },
    },
    {
      id: 'once-per-client',
      title: 'a client gets a message once, even when several of its subscriptions match it',
      look: 'channels.ts TODO 3, recipients(): collect the clients of every matching pattern in a Set, so each appears once.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        await subscribe(ctx, url, clientId, ['/o/x', '/o/*', '/o/**', '/**']);
        const pending = startConnect(ctx, url, clientId);
        await expectHeld(ctx, pending, 'before the publish');
        await publish(ctx, url, '/o/x', 'just once');
        const got = await connectAnswer(ctx, pending, AT_ONCE_MS, 'once a message is published on /o/x');
        check(show(dataOf(got.delivered)) === show(['just once']), {
          expected: 'the message once, though four subscriptions (/o/x, /o/*, /o/**, /**) match /o/x',
          actual: `it came ${got.delivered.length} times: ${show(dataOf(got.delivered))}`,
        });
        await publish(ctx, url, '/o/x', 'again');
        await expectDelivered(ctx, url, clientId, ['again'], 'after one more publish', 'the next message once too (no copy of the first one left in the queue)', 'c2');
      },
    },
    {
      id: 'service-not-broadcast',
      title: '/service/… messages are acknowledged and never delivered, even to a /** subscriber',
      look: 'server.ts TODO 13, publish(): acknowledge a /service/… message, but do not hand it to engine.publish().',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        await subscribe(ctx, url, clientId, '/**');
        const pending = startConnect(ctx, url, clientId);
        await expectHeld(ctx, pending, 'before the publishes');
        await publish(ctx, url, '/service/secret', 'for the server only');
        await publish(ctx, url, '/public', 'for everyone');
        const got = await connectAnswer(ctx, pending, AT_ONCE_MS, 'after a publish to /service/secret and one to /public');
        check(show(dataOf(got.delivered)) === show(['for everyone']), {
          expected: 'the /** subscriber to get only the message on /public',
          actual: `it got ${show(got.delivered)}`,
        });
      },
    },
    {
      id: 'publish-delivery',
      title: 'a publish needs no session; subscribers get { channel, data, ext } unchanged, never the publisher\'s id or clientId',
      look: 'server.ts TODO 13, publish(): deliver exactly { channel, data } plus ext when there is one.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const listener = await handshake(ctx, url);
        const publisher = await handshake(ctx, url);
        await subscribe(ctx, url, listener, '/d');
        const data = { nested: [1, 'two', { three: null }], text: 'ünïcödé "quoted"' };
        const [ack] = await exchange(ctx, url, [{ channel: '/d', data, ext: { trace: 'abc' }, clientId: publisher, id: 'secret-id' }], 'a publish with ext, clientId and id');
        check(ack?.successful === true && ack.channel === '/d' && ack.id === 'secret-id' && ack.error === undefined, {
          expected: 'the publish acknowledged { "channel": "/d", "successful": true, "id": "secret-id" }',
          actual: show(ack),
        });
        await exchange(ctx, url, [{ channel: '/d', data: 'anonymous', id: 'anon' }], 'a publish without clientId (the server is open by default)');
        const got = await connectAnswer(ctx, startConnect(ctx, url, listener), AT_ONCE_MS, 'after the two publishes');
        check(same(got.delivered, [{ channel: '/d', data, ext: { trace: 'abc' } }, { channel: '/d', data: 'anonymous' }]), {
          expected: `the messages as ${show([{ channel: '/d', data, ext: { trace: 'abc' } }, { channel: '/d', data: 'anonymous' }], 400)} — no id, no clientId (a clientId is a secret: whoever has it can act as that client)`,
          actual: show(got.delivered, 400),
        });
      },
    },
    {
      id: 'form-urlencoded',
      title: 'a batch also comes as application/x-www-form-urlencoded, in a field message=',
      look: 'server.ts (given) readMessages(): keep the form branch (URLSearchParams(text).get("message")).',
      async run(ctx) {
        const { url } = await serve(ctx);
        const body = new URLSearchParams({ message: JSON.stringify([HANDSHAKE('form')]) }).toString();
        ctx.step('POST /bayeux message=[handshake] as a form');
        const reply = await call(url, 'POST', '/bayeux', { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        const [answer] = arrayOf(reply, 'a handshake sent as a form');
        check(answer?.successful === true && answer.id === 'form' && typeof answer.clientId === 'string', { expected: 'a successful handshake reply with id "form"', actual: show(answer) });
      },
    },
    {
      id: 'queue-bound',
      title: 'a client\'s queue keeps the newest maxQueue messages: the oldest are dropped first',
      look: 'engine.ts TODO 6, publish(): after queueing, if the queue is longer than maxQueue, drop its first (oldest) message.',
      async run(ctx) {
        const { url } = await serve(ctx, { maxQueue: 3 });
        const clientId = await handshake(ctx, url);
        await subscribe(ctx, url, clientId, '/full');
        ctx.step('publishing 1 to 5 on /full while the client is not connected');
        await exchange(ctx, url, [1, 2, 3, 4, 5].map((n) => PUBLISH('/full', n, `p${n}`)), 'five publishes in one batch');
        await expectDelivered(ctx, url, clientId, [3, 4, 5], 'with five messages published and maxQueue 3', 'the newest three messages: 3, 4, 5 (1 and 2 dropped)');
      },
    },
    {
      id: 'session-expiry',
      title: 'a client that does not connect for timeoutMs + intervalMs + sessionMarginMs (after its handshake or its last answer) is removed; one that keeps connecting stays',
      look: 'engine.ts TODO 7, #startExpiry(): a timer of timeoutMs + intervalMs + sessionMarginMs that disconnects the client; TODO 5 clears it while a connect is held, and every answer starts it again.',
      timeoutMs: 9000,
      async run(ctx) {
        // 600 + 700 + 700 = 2000 ms. Leaving out any one term gives 1400 or less.
        const options = { timeoutMs: 600, intervalMs: 700, sessionMarginMs: 700, maxClients: 3 };
        const { url } = await serve(ctx, options);
        const silent = await handshake(ctx, url);
        const started = performance.now();
        const once = await handshake(ctx, url);
        const busy = await handshake(ctx, url);
        const known = async (clientId: string) => ((await exchange(ctx, url, [SUBSCRIBE(clientId, '/e')], 'checking whether a client is still known'))[0]?.error === undefined);
        // `once` connects one time (answered after timeoutMs), then goes silent.
        const onceAnswered = startConnect(ctx, url, once, 'once').outcome.then(() => performance.now());
        // `busy` connects again as soon as each connect ends.
        let stop = false;
        ctx.defer(() => void (stop = true));
        const connecting = (async () => {
          for (let n = 0; !stop; n++) {
            const outcome = await startConnect(ctx, url, busy, `k${n}`).outcome;
            if (outcome.kind === 'error') return;
          }
        })();
        await waitUntil(() => (performance.now() - started >= 1650 ? true : undefined), { withinMs: 2500, everyMs: 20 });
        check(await known(silent), {
          expected: 'a client silent for 1650 ms since its handshake still known: timeoutMs 600 + intervalMs 700 + sessionMarginMs 700 = 2000 ms',
          actual: 'its clientId was already unknown (402): the expiry is shorter than the sum of the three',
        });
        ctx.step('waiting for the silent client to be removed');
        const removed = await waitUntil(async () => ((await known(silent)) ? undefined : true), { withinMs: 1500, everyMs: 50 });
        check(removed, { expected: 'the silent client unknown (402) once 2000 ms have passed since its handshake', actual: `still known ${Math.round(performance.now() - started)} ms after its handshake` });
        ctx.step('waiting for the client that connected once to be removed');
        const answeredAt = await onceAnswered;
        const onceRemoved = await waitUntil(async () => ((await known(once)) ? undefined : true), { withinMs: Math.max(0, answeredAt + 3000 - performance.now()), everyMs: 50 });
        check(onceRemoved, {
          expected: 'the client whose only connect was answered (after 600 ms) removed 2000 ms after that answer',
          actual: `still known ${Math.round(performance.now() - answeredAt)} ms after the answer: the expiry must start again after every answer`,
        });
        check(await known(busy), { expected: 'the client that kept connecting still known', actual: 'it was removed too: a held connect must stop its expiry, and each answer start it again' });
        const [again] = await exchange(ctx, url, [HANDSHAKE()], 'a handshake now that two clients are gone (maxClients 3)');
        check(again?.successful === true, { expected: 'a new handshake accepted: removed clients no longer count against maxClients', actual: show(again), look: 'engine.ts (given) disconnect() removes the session; TODO 7 must call it.' });
        stop = true;
        await within(connecting, 1000, undefined);
      },
    },
    {
      id: 'too-many-clients',
      title: 'handshakes past maxClients, or past maxClientsPerAddress from one address, get "429::Too many clients" with advice { reconnect: "none" }',
      look: 'engine.ts TODO 4, handshake(): refuse (return undefined) when there are maxClients clients, or maxClientsPerAddress from this address.',
      async run(ctx) {
        const { url } = await serve(ctx, { maxClients: 3, maxClientsPerAddress: 2 });
        const first = await handshake(ctx, url);
        await handshake(ctx, url);
        const [third] = await exchange(ctx, url, [HANDSHAKE()], 'a 3rd handshake from 127.0.0.1 (maxClientsPerAddress 2)');
        const refused = (reply: Msg | undefined) => reply?.successful === false && reply.error === '429::Too many clients' && (reply.advice as { reconnect?: unknown } | undefined)?.reconnect === 'none';
        check(refused(third), { expected: 'the 3rd handshake from one address refused: { "successful": false, "error": "429::Too many clients", "advice": { "reconnect": "none" } }', actual: show(third) });
        ctx.step('a handshake from 127.0.0.2');
        const other = await requestFrom('127.0.0.2', url, 'POST', '/bayeux', [HANDSHAKE()]);
        check((JSON.parse(other.text) as Msg[])[0]?.successful === true, { expected: 'a handshake from another address (127.0.0.2) accepted', actual: other.text });
        const fourth = await requestFrom('127.0.0.3', url, 'POST', '/bayeux', [HANDSHAKE()]);
        check(refused((JSON.parse(fourth.text) as Msg[])[0]), { expected: 'a 4th client, from 127.0.0.3, refused with 429: maxClients is 3', actual: fourth.text });
        ctx.step('one client of 127.0.0.1 disconnects');
        await exchange(ctx, url, [{ channel: '/meta/disconnect', clientId: first, id: 'bye' }], 'a disconnect');
        const [again] = await exchange(ctx, url, [HANDSHAKE()], 'a handshake from 127.0.0.1 after one of its clients disconnected');
        check(again?.successful === true, { expected: 'the handshake accepted: a client that disconnected frees its place, for its address and in all', actual: show(again), look: 'engine.ts (given) disconnect() counts the address down; TODO 4 must count it up in #perAddress.' });
      },
    },
    {
      id: 'extensions',
      title: 'extensions: an incoming hook sees every message with the client\'s address and can refuse it (authentication with a token in ext)',
      look: 'server.ts (given): withExtensions() runs the hooks and handle() refuses a message whose error an extension set. Keep both.',
      async run(ctx) {
        const seen: Array<{ channel: unknown; address: unknown }> = [];
        const auth = {
          incoming(message: Msg, context: { address?: unknown }) {
            seen.push({ channel: message.channel, address: context?.address });
            const guarded = message.channel === '/meta/handshake' || message.channel === '/meta/subscribe';
            return guarded && (message.ext as { token?: unknown } | undefined)?.token !== 'open sesame' ? { ...message, error: '403::Token required' } : message;
          },
        };
        const order: string[] = [];
        const first = { incoming: (message: Msg) => (order.push(`first ${String(message.channel)}`), message) };
        const last = { incoming: (message: Msg) => (order.push(`last ${String(message.channel)}`), message) };
        const { url } = await serve(ctx, { extensions: [first, auth, last] });
        const [without] = await exchange(ctx, url, [HANDSHAKE()], 'a handshake without a token');
        check(without?.successful === false && without.error === '403::Token required' && without.clientId === undefined, { expected: 'the handshake refused with the extension\'s error "403::Token required", and no clientId', actual: show(without) });
        // An error the client writes into its own message must not refuse it: only an extension refuses.
        const clientId = await handshake(ctx, url, { ext: { token: 'open sesame' }, error: '403::made up by the client' });
        const [noToken] = await exchange(ctx, url, [SUBSCRIBE(clientId, '/vip')], 'a subscribe without a token');
        check(noToken?.successful === false && noToken.error === '403::Token required', { expected: 'the subscribe refused with "403::Token required"', actual: show(noToken) });
        await publish(ctx, url, '/vip', 'before');
        const [withToken] = await exchange(ctx, url, [{ ...SUBSCRIBE(clientId, '/vip'), ext: { token: 'open sesame' } }], 'a subscribe with the token');
        check(withToken?.successful === true, { expected: 'the subscribe with the token accepted', actual: show(withToken) });
        await publish(ctx, url, '/vip', 'after');
        await expectDelivered(ctx, url, clientId, ['after'], 'after a publish on /vip', 'only the message published after the accepted subscribe');
        check(show(order.slice(0, 2)) === show(['first /meta/handshake', 'last /meta/handshake']), {
          expected: 'the hooks called in the order of the extensions option: ["first /meta/handshake", "last /meta/handshake"]',
          actual: show(order.slice(0, 4)),
        });
        check(seen.length >= 6 && seen.every((s) => typeof s.address === 'string' && s.address.includes('127.0.0.1')), {
          expected: 'the hook called for every message, with { address: "127.0.0.1" } (or "::ffff:127.0.0.1")',
          actual: `calls ${show(seen)}`,
        });
      },
    },
    {
      id: 'bad-requests',
      title: 'bad requests get a 4xx JSON error (400, 404, 405, 413, 415), never a 500; a message without channel in a good batch gets a Bayeux 400',
      look: 'server.ts (given): the HTTP part at the bottom and the router in createApp(); keep them as in the starter.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const json = { 'content-type': 'application/json' };
        const cases: Array<{ what: string; method: string; path: string; body?: string; headers?: Record<string, string>; status: number }> = [
          { what: 'broken JSON', method: 'POST', path: '/bayeux', body: '[{"channel":', headers: json, status: 400 },
          { what: 'a JSON number', method: 'POST', path: '/bayeux', body: '42', headers: json, status: 400 },
          { what: 'an array of strings', method: 'POST', path: '/bayeux', body: '["/meta/handshake"]', headers: json, status: 400 },
          { what: 'an empty array', method: 'POST', path: '/bayeux', body: '[]', headers: json, status: 400 },
          { what: 'messages without any channel', method: 'POST', path: '/bayeux', body: '[{"data":1}]', headers: json, status: 400 },
          { what: 'a form without a message field', method: 'POST', path: '/bayeux', body: 'other=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 400 },
          { what: 'plain text', method: 'POST', path: '/bayeux', body: 'hello', headers: { 'content-type': 'text/plain' }, status: 415 },
          { what: 'JSON in latin-1', method: 'POST', path: '/bayeux', body: JSON.stringify([HANDSHAKE()]), headers: { 'content-type': 'application/json; charset=latin-1' }, status: 415 },
          { what: `${DEFAULT_MAX_BATCH + 1} messages (maxBatch ${DEFAULT_MAX_BATCH})`, method: 'POST', path: '/bayeux', body: JSON.stringify(Array.from({ length: DEFAULT_MAX_BATCH + 1 }, () => HANDSHAKE())), headers: json, status: 413 },
          { what: 'a body over 64 KB', method: 'POST', path: '/bayeux', body: JSON.stringify([PUBLISH('/big', 'x'.repeat(MAX_BODY_BYTES))]), headers: json, status: 413 },
          { what: 'GET /bayeux (callback-polling, JSONP, is not offered)', method: 'GET', path: '/bayeux?message=%5B%5D&jsonp=callback', status: 405 },
          { what: 'PUT /bayeux', method: 'PUT', path: '/bayeux', body: '[]', headers: json, status: 405 },
          { what: 'an unknown path', method: 'POST', path: '/elsewhere', body: JSON.stringify([HANDSHAKE()]), headers: json, status: 404 },
        ];
        for (const bad of cases) {
          ctx.step(`${bad.method} ${bad.path}: ${bad.what}`);
          const reply = await call(url, bad.method, bad.path, { ...(bad.body === undefined ? {} : { body: bad.body }), headers: bad.headers ?? {} });
          check(reply.status === bad.status && isErrorBody(reply.body), { expected: `${bad.what}: status ${bad.status} with {"error": "…"}`, actual: describeReply(reply) });
        }
        const replies = await exchange(ctx, url, [HANDSHAKE('good'), { data: 1, id: 'no-channel' }], 'a batch with a handshake and a message without channel');
        check(replies.length === 2 && replies[0]?.successful === true && replies[1]?.successful === false && typeof replies[1]?.error === 'string' && /^400:/.test(replies[1].error) && replies[1].id === 'no-channel', {
          expected: 'two replies: the handshake, successful, and for the message without channel { "successful": false, "error": "400:…", "id": "no-channel" }',
          actual: show(replies),
          look: 'server.ts TODO 9 for the handshake; the given handle() refuses a message without channel.',
        });
        ctx.step(`${DEFAULT_MAX_BATCH} messages: the largest batch`);
        arrayOf(await post(url, Array.from({ length: DEFAULT_MAX_BATCH }, (_, i) => PUBLISH('/many', i, `m${i}`))), `a batch of ${DEFAULT_MAX_BATCH} publishes (maxBatch ${DEFAULT_MAX_BATCH}) accepted`);
        const small = await serve(ctx, { maxBatch: 3 });
        ctx.step('4 messages to an app made with { maxBatch: 3 }');
        const four = await post(small.url, [1, 2, 3, 4].map((n) => PUBLISH('/b', n, `b${n}`)));
        check(four.status === 413 && isErrorBody(four.body), { expected: '4 messages refused with 413 and {"error": "…"} by an app made with { maxBatch: 3 }', actual: describeReply(four) });
        arrayOf(await post(small.url, [1, 2, 3].map((n) => PUBLISH('/b', n, `b${n}`))), 'a batch of 3 publishes (maxBatch 3) accepted');
      },
    },
    {
      id: 'defaults',
      title: `defaults: advice timeout ${DEFAULT_TIMEOUT_MS} and interval 0, expiry after ${DEFAULT_TIMEOUT_MS + DEFAULT_MARGIN_MS} ms, ${DEFAULT_MAX_QUEUE} queued messages, ${DEFAULT_MAX_SUBSCRIPTIONS} subscriptions`,
      look: 'server.ts (given): createApp() merges its options over DEFAULTS from protocol.ts; use the merged settings, not the options.',
      async run(ctx) {
        const timers = watchTimers(ctx);
        const { url, app } = await serveLesson<BayeuxApp>(ctx, 'createApp');
        ctx.defer(() => app.close?.());
        const [hello] = await exchange(ctx, url, [HANDSHAKE()], 'a handshake on an app made by createApp() without options');
        check(hello?.successful === true && typeof hello.clientId === 'string', {
          expected: 'the handshake answered "successful": true with a clientId (the defaults are read from its advice)',
          actual: show(hello),
          look: 'server.ts TODO 9 (the handshake) first.',
        });
        check(same(hello?.advice, { reconnect: 'retry', interval: 0, timeout: DEFAULT_TIMEOUT_MS }), { expected: `advice { "reconnect": "retry", "interval": 0, "timeout": ${DEFAULT_TIMEOUT_MS} }`, actual: show(hello?.advice) });
        const clientId = hello!.clientId as string;
        const expiry = timers.pending().find((t) => t.ms === DEFAULT_TIMEOUT_MS + DEFAULT_MARGIN_MS);
        check(expiry, {
          expected: `after the handshake, an expiry timer of ${DEFAULT_TIMEOUT_MS} + 0 + ${DEFAULT_MARGIN_MS} = ${DEFAULT_TIMEOUT_MS + DEFAULT_MARGIN_MS} ms`,
          actual: `the timers pending: ${showDelay(timers.pending().map((t) => t.ms))}`,
          look: 'engine.ts TODO 7, #startExpiry(): one timer of timeoutMs + intervalMs + sessionMarginMs (10 s by default).',
        });
        await subscribe(ctx, url, clientId, '/d');
        const total = DEFAULT_MAX_QUEUE + 5;
        ctx.step(`publishing ${total} messages while the client is not connected`);
        for (let from = 0; from < total; from += DEFAULT_MAX_BATCH) {
          const batch = Array.from({ length: Math.min(DEFAULT_MAX_BATCH, total - from) }, (_, i) => PUBLISH('/d', from + i + 1, `p${from + i}`));
          arrayOf(await post(url, batch), 'a batch of publishes');
        }
        const got = await connectAnswer(ctx, startConnect(ctx, url, clientId), AT_ONCE_MS * 2, `with ${total} messages queued`, 'engine.ts TODO 6: bound the queue with maxQueue from the engine\'s options (1000 by default).');
        const data = dataOf(got.delivered);
        check(data.length === DEFAULT_MAX_QUEUE && data[0] === 6 && data.at(-1) === total, {
          expected: `the newest ${DEFAULT_MAX_QUEUE} messages: ${6} to ${total}`,
          actual: `${data.length} messages, from ${show(data[0])} to ${show(data.at(-1))}`,
        });
        const many = Array.from({ length: DEFAULT_MAX_SUBSCRIPTIONS + 1 }, (_, i) => `/s/${i}`);
        const [tooMany] = await exchange(ctx, url, [SUBSCRIBE(clientId, many)], `a subscribe to ${many.length} channels`);
        expectError(tooMany, 403, `a subscribe to ${many.length} channels (${DEFAULT_MAX_SUBSCRIPTIONS} at most, /d included)`);
        const [fits] = await exchange(ctx, url, [SUBSCRIBE(clientId, many.slice(0, DEFAULT_MAX_SUBSCRIPTIONS - 1))], `a subscribe to ${DEFAULT_MAX_SUBSCRIPTIONS - 1} more channels`);
        check(fits?.successful === true, { expected: `a subscribe to ${DEFAULT_MAX_SUBSCRIPTIONS - 1} more channels accepted (${DEFAULT_MAX_SUBSCRIPTIONS} with /d)`, actual: show(fits) });
        const [known] = await exchange(ctx, url, [SUBSCRIBE(clientId, ['/d', '/s/0'])], 'a subscribe to two channels it has already, at the limit');
        check(known?.successful === true, { expected: 'a subscribe to channels the client has already accepted at the limit: they are not new', actual: show(known), look: 'server.ts TODO 11: count only the patterns the client does not have yet (engine.subscriptions.has).' });
        const [full] = await exchange(ctx, url, [SUBSCRIBE(clientId, '/one-more')], 'a subscribe to one more channel, at the limit');
        // No args: the refusal is about the client's count, not about one of the patterns.
        expectError(full, 403, `a subscribe to a ${DEFAULT_MAX_SUBSCRIPTIONS + 1}th channel`, 'server.ts TODO 11: 403 "Too many subscriptions", with no args.', '');
        check(full?.clientId === clientId && full.subscription === '/one-more', { expected: 'the refusal to carry the clientId and echo the subscription "/one-more"', actual: show(full), look: 'server.ts TODO 11: a refused (un)subscribe carries clientId and subscription too.' });
        await exchange(ctx, url, [{ channel: '/meta/unsubscribe', clientId, subscription: ['/s/0', '/s/1'], id: 'u' }], 'an unsubscribe from two channels');
        const [room] = await exchange(ctx, url, [SUBSCRIBE(clientId, ['/one-more', '/two-more'])], 'a subscribe to two new channels after unsubscribing from two');
        check(room?.successful === true, { expected: 'two new subscriptions accepted after two were dropped: an unsubscribe frees its place', actual: show(room), look: 'channels.ts TODO 2: unsubscribe() removes the pattern from the client\'s own set too (countOf reads it).' });
      },
    },
    {
      id: 'default-client-limits',
      title: `defaults: ${DEFAULT_MAX_PER_ADDRESS} clients per address and ${DEFAULT_MAX_CLIENTS} in all`,
      look: 'engine.ts TODO 4, handshake(): compare with maxClients and maxClientsPerAddress from the engine\'s options (their defaults come from DEFAULTS).',
      timeoutMs: 15_000,
      async run(ctx) {
        const { url, app } = await serveLesson<BayeuxApp>(ctx, 'createApp');
        ctx.defer(() => app.close?.());
        const batch = JSON.stringify(Array.from({ length: DEFAULT_MAX_BATCH }, () => HANDSHAKE()));
        const handshakesFrom = async (address: string, count: number): Promise<Msg[]> => {
          const replies: Msg[] = [];
          for (let done = 0; done < count; done += DEFAULT_MAX_BATCH) {
            const answer = await requestFrom(address, url, 'POST', '/bayeux', JSON.parse(batch));
            replies.push(...(JSON.parse(answer.text) as Msg[]));
          }
          return replies;
        };
        ctx.step(`${DEFAULT_MAX_PER_ADDRESS + DEFAULT_MAX_BATCH} handshakes from 127.0.0.2`);
        const first = await handshakesFrom('127.0.0.2', DEFAULT_MAX_PER_ADDRESS + DEFAULT_MAX_BATCH);
        const accepted = first.filter((r) => r.successful === true).length;
        check(accepted === DEFAULT_MAX_PER_ADDRESS, { expected: `${DEFAULT_MAX_PER_ADDRESS} of ${first.length} handshakes from one address accepted`, actual: `${accepted} accepted` });
        ctx.step(`${DEFAULT_MAX_PER_ADDRESS} handshakes from each of 127.0.0.3 to 127.0.0.21`);
        for (let n = 3; n <= 21; n++) await handshakesFrom(`127.0.0.${n}`, DEFAULT_MAX_PER_ADDRESS);
        const [last] = (await requestFrom('127.0.0.22', url, 'POST', '/bayeux', [HANDSHAKE()]).then((a) => JSON.parse(a.text))) as Msg[];
        check(last?.successful === false && last.error === '429::Too many clients', {
          expected: `with ${DEFAULT_MAX_CLIENTS} clients, a handshake from a new address refused with "429::Too many clients"`,
          actual: show(last),
        });
      },
    },
    {
      id: 'disconnect',
      title: 'disconnect answers the held connect at once and removes the client: its clientId is unknown afterwards',
      look: 'server.ts TODO 12, disconnect(): check the client, then engine.disconnect(clientId), and reply { channel, clientId, successful: true, id }.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const clientId = await handshake(ctx, url);
        await subscribe(ctx, url, clientId, '/bye');
        const pending = startConnect(ctx, url, clientId);
        await expectHeld(ctx, pending, 'before the disconnect');
        const [bye] = await exchange(ctx, url, [{ channel: '/meta/disconnect', clientId, id: 'bye' }], 'POST /bayeux [/meta/disconnect]');
        check(bye?.successful === true && bye.clientId === clientId && bye.id === 'bye', { expected: `{ "channel": "/meta/disconnect", "clientId": "${clientId}", "successful": true, "id": "bye" }`, actual: show(bye) });
        await connectAnswer(ctx, pending, AT_ONCE_MS, 'once its client disconnects');
        const [after] = await exchange(ctx, url, [CONNECT(clientId)], 'a connect from the disconnected client');
        check(after?.error === '402::Unknown client', { expected: 'the disconnected client unknown: "402::Unknown client"', actual: show(after) });
        await publish(ctx, url, '/bye', 'to nobody now');
      },
    },
    {
      id: 'abandoned-connect',
      title: 'a held connect whose client goes away is forgotten (timer and all), what is published meanwhile waits for the next connect, and a client that never comes back expires',
      look: 'server.ts (given) forgets a held connect when its response closes; engine.ts TODO 5: the function connect() returns clears the held connect\'s timer and starts the expiry again.',
      timeoutMs: 5000,
      async run(ctx) {
        const timers = watchTimers(ctx);
        // 1000 + 0 + 0: a client is removed 1 s after its last connect ends.
        const { url, app } = await serve(ctx, { timeoutMs: 1000, intervalMs: 0, sessionMarginMs: 0 });
        const clientId = await handshake(ctx, url);
        const leaver = await handshake(ctx, url);
        await subscribe(ctx, url, clientId, '/gone');
        const pending = startConnect(ctx, url, clientId);
        const leaving = startConnect(ctx, url, leaver, 'leaving');
        await expectHeld(ctx, pending, 'before its client goes away');
        ctx.step('aborting both held connects');
        pending.abort();
        leaving.abort();
        await Promise.all([pending.outcome, leaving.outcome]);
        const abortedAt = performance.now();
        await publish(ctx, url, '/gone', 'kept for later');
        await expectDelivered(ctx, url, clientId, ['kept for later'], 'after the client came back', 'the message published while the client was away, delivered at its next connect', 'c2');
        ctx.step('waiting for the client that never came back to be removed');
        const removed = await waitUntil(async () => ((await exchange(ctx, url, [SUBSCRIBE(leaver, '/x')], 'checking whether the client that left is still known'))[0]?.error === '402::Unknown client' ? true : undefined), {
          withinMs: Math.max(0, abortedAt + 1600 - performance.now()),
          everyMs: 50,
        });
        check(removed, {
          expected: 'the client whose held connect was abandoned removed about 1 s after it went away (timeoutMs 1000 + intervalMs 0 + sessionMarginMs 0, from the moment its connect is forgotten)',
          actual: `still known ${Math.round(performance.now() - abortedAt)} ms after it went away: forgetting its connect must start its expiry again`,
        });
        await app.close?.();
        await checkNoTimerLeft(ctx, timers, 'after close(), with abandoned connects among them', 'engine.ts TODO 5: the function that forgets a held connect clears its timer.');
      },
    },
    {
      id: 'shutdown-and-timers',
      title: 'shutdown() answers every held connect (and later ones at once); close() leaves no timer behind',
      look: 'engine.ts (given) shutdown() and close(); TODOs 5 and 7: keep every timer in its session (held.timer, expiry) so that they can be cleared.',
      async run(ctx) {
        const timers = watchTimers(ctx);
        const { url, app } = await serve(ctx);
        const clients = [await handshake(ctx, url), await handshake(ctx, url)];
        const held = clients.map((clientId, i) => startConnect(ctx, url, clientId, `held-${i}`));
        for (const pending of held) await expectHeld(ctx, pending, 'before shutdown()');
        ctx.step('calling shutdown()');
        app.shutdown();
        for (const pending of held) await connectAnswer(ctx, pending, AT_ONCE_MS, 'by shutdown()', 'engine.ts (given) shutdown() answers the held connects it finds in the sessions: TODO 5 must keep them in session.held.');
        await connectAnswer(ctx, startConnect(ctx, url, clients[0]!, 'late'), AT_ONCE_MS, 'after shutdown(): at once, not held', 'engine.ts TODO 5: a connect is answered at once while shutting down (this.#shuttingDown), as when messages are queued.');
        check(typeof app.close === 'function', { expected: 'the app to have a close() method', actual: 'it has none', look: 'server.ts (given): createApp() returns the handler with shutdown() and close().' });
        await app.close();
        await checkNoTimerLeft(ctx, timers, 'after close()');
      },
    },
    {
      id: 'apps-are-separate',
      title: 'two apps made by createApp() share nothing: a clientId of one is unknown to the other',
      look: 'server.ts: the engine and everything else live inside createApp(); engine.ts: sessions and subscriptions are fields of the Engine, not module variables.',
      async run(ctx) {
        const first = await serve(ctx);
        const second = await serve(ctx);
        const clientId = await handshake(ctx, first.url);
        const [elsewhere] = await exchange(ctx, second.url, [SUBSCRIBE(clientId, '/x')], 'the first app\'s client subscribing at the second app');
        check(elsewhere?.error === '402::Unknown client', { expected: 'the second app answers "402::Unknown client"', actual: show(elsewhere) });
      },
    },
    {
      id: 'faye-pubsub',
      title: 'Faye: two real Faye clients (long polling) exchange messages through your server',
      look: FAYE_LOOK,
      timeoutMs: 8000,
      async run(ctx) {
        const { url } = await serve(ctx, { timeoutMs: 5000 });
        const ann = fayeClient(ctx, url);
        const ben = fayeClient(ctx, url);
        const toAnn = inbox();
        const toBen = inbox();
        await acknowledged(ctx, ann, 'subscribe to /chat/ann', ann.subscribe('/chat/ann', toAnn.onMessage), FAYE_LOOK);
        await acknowledged(ctx, ben, 'subscribe to /chat/ben', ben.subscribe('/chat/ben', toBen.onMessage), FAYE_LOOK);
        await acknowledged(ctx, ann, 'publish from ann to /chat/ben', ann.publish('/chat/ben', { from: 'ann', text: 'hi ben' }), FAYE_LOOK);
        await acknowledged(ctx, ben, 'publish from ben to /chat/ann', ben.publish('/chat/ann', { from: 'ben', text: 'hi ann' }), FAYE_LOOK);
        check((await toBen.reaches(1, 2000)) && (await toAnn.reaches(1, 2000)), { expected: 'each Faye client to receive the other\'s message', actual: `ann got ${show(toAnn.got)}, ben got ${show(toBen.got)}` });
        check(show(toBen.got) === show([{ from: 'ann', text: 'hi ben' }]) && show(toAnn.got) === show([{ from: 'ben', text: 'hi ann' }]), {
          expected: 'ben got [{ from: "ann", text: "hi ben" }] and ann got [{ from: "ben", text: "hi ann" }], each once',
          actual: `ann got ${show(toAnn.got)}, ben got ${show(toBen.got)}`,
        });
      },
    },
    {
      id: 'faye-wildcards',
      title: 'Faye: subscriptions to /news/* and /news/** receive what they match',
      look: 'channels.ts TODO 1 (expand) and TODO 3 (recipients).',
      timeoutMs: 8000,
      async run(ctx) {
        const { url } = await serve(ctx, { timeoutMs: 5000 });
        const reader = fayeClient(ctx, url);
        const writer = fayeClient(ctx, url);
        const star = inbox();
        const deep = inbox();
        await acknowledged(ctx, reader, 'subscribe to /news/*', reader.subscribe('/news/*', star.onMessage), FAYE_LOOK);
        await acknowledged(ctx, reader, 'subscribe to /news/**', reader.subscribe('/news/**', deep.onMessage), FAYE_LOOK);
        for (const channel of ['/news/sport', '/news/sport/live', '/weather', '/news/end']) await acknowledged(ctx, writer, `publish to ${channel}`, writer.publish(channel, channel), FAYE_LOOK);
        check(await deep.reaches(3, 2000), { expected: 'the /news/** subscription to receive 3 messages', actual: `it received ${show(deep.got)}` });
        check(show(star.got) === show(['/news/sport', '/news/end']) && show(deep.got) === show(['/news/sport', '/news/sport/live', '/news/end']), {
          expected: '/news/* received ["/news/sport", "/news/end"] and /news/** received ["/news/sport", "/news/sport/live", "/news/end"]',
          actual: `/news/* received ${show(star.got)}, /news/** received ${show(deep.got)}`,
        });
      },
    },
    {
      id: 'faye-unsubscribe',
      title: 'Faye: after unsubscribing, a client receives nothing more on that channel',
      look: 'server.ts TODO 11 (unsubscribe) and channels.ts TODO 2 (Subscriptions.unsubscribe).',
      timeoutMs: 8000,
      async run(ctx) {
        const { url } = await serve(ctx, { timeoutMs: 5000 });
        const reader = fayeClient(ctx, url);
        const writer = fayeClient(ctx, url);
        const leaving = inbox();
        const staying = inbox();
        const subscription = reader.subscribe('/u/leave', leaving.onMessage);
        await acknowledged(ctx, reader, 'subscribe to /u/leave', subscription, FAYE_LOOK);
        await acknowledged(ctx, reader, 'subscribe to /u/stay', reader.subscribe('/u/stay', staying.onMessage), FAYE_LOOK);
        await acknowledged(ctx, writer, 'publish to /u/leave', writer.publish('/u/leave', 'before'), FAYE_LOOK);
        check(await leaving.reaches(1, 2000), { expected: 'the message published before unsubscribing received', actual: `received ${show(leaving.got)}` });
        // Faye sends the unsubscribe and gives no acknowledgement to wait for: a raw client
        // watches its reply instead.
        const unsubscribed = new Promise<void>((resolve) =>
          reader.addExtension({
            incoming(message, callback) {
              if (message.channel === '/meta/unsubscribe') resolve();
              callback(message);
            },
          }),
        );
        subscription.cancel();
        check(await within(unsubscribed.then(() => true), 2000, false), { expected: 'the unsubscribe answered', actual: 'no reply to /meta/unsubscribe within 2 s' });
        await acknowledged(ctx, writer, 'publish to /u/leave', writer.publish('/u/leave', 'after'), FAYE_LOOK);
        await acknowledged(ctx, writer, 'publish to /u/stay', writer.publish('/u/stay', 'marker'), FAYE_LOOK);
        check(await staying.reaches(1, 2000), { expected: 'the message on /u/stay received', actual: `received ${show(staying.got)}` });
        check(show(leaving.got) === show(['before']), {
          expected: 'nothing more on /u/leave after unsubscribing (a marker on /u/stay, published later, has arrived)',
          actual: `/u/leave received ${show(leaving.got)}`,
        });
      },
    },
    {
      id: 'faye-200-in-order',
      title: 'Faye: 200 messages arrive in order, each exactly once',
      look: 'engine.ts TODOs 5–6: the queue keeps the order of the publishes; each message leaves it once, in one connect answer.',
      timeoutMs: 15_000,
      async run(ctx) {
        const { url } = await serve(ctx, { timeoutMs: 5000 });
        const reader = fayeClient(ctx, url);
        const writer = fayeClient(ctx, url);
        const got = inbox();
        await acknowledged(ctx, reader, 'subscribe to /count', reader.subscribe('/count', got.onMessage), FAYE_LOOK);
        ctx.step('publishing 1 to 200, each after the previous one is acknowledged');
        for (let n = 1; n <= 200; n++) await acknowledged(ctx, writer, `publish of ${n}`, writer.publish('/count', n), FAYE_LOOK);
        await got.reaches(200, 3000);
        const expected = Array.from({ length: 200 }, (_, i) => i + 1);
        const firstWrong = got.got.findIndex((value, i) => value !== expected[i]);
        check(got.got.length === 200 && firstWrong < 0, {
          expected: '1, 2, …, 200, each once, in order',
          actual: `${got.got.length} messages${firstWrong >= 0 ? `; at position ${firstWrong + 1} came ${show(got.got[firstWrong])}` : ''}: ${show(got.got, 200)}`,
        });
      },
    },
    {
      id: 'faye-reconnect-after-restart',
      title: 'Faye: after main.ts restarts, a client gets 402, handshakes again, resubscribes and receives',
      look: 'main.ts (given) and server.ts TODO 10: a connect with a clientId this server does not know gets "402::Unknown client" with advice { reconnect: "handshake" }.',
      timeoutMs: 25_000,
      async run(ctx) {
        const first = await startLessonProcess(ctx, 'main.ts', ['--port', '0', '--timeout-ms', '1000']);
        const port = new URL(first.url).port;
        const reader = fayeClient(ctx, first.url);
        const writer = fayeClient(ctx, first.url);
        const seen: Msg[] = [];
        reader.addExtension({
          incoming(message, callback) {
            seen.push(message);
            callback(message);
          },
        });
        const got = inbox();
        await acknowledged(ctx, reader, 'subscribe to /restart', reader.subscribe('/restart', got.onMessage), FAYE_LOOK);
        await acknowledged(ctx, writer, 'publish to /restart', writer.publish('/restart', 'before'), FAYE_LOOK);
        check(await got.reaches(1, 2000), { expected: 'the message published before the restart received', actual: `received ${show(got.got)}` });
        ctx.step('stopping main.ts with SIGTERM');
        await first.kill('SIGTERM');
        const second = await startLessonProcess(ctx, 'main.ts', ['--port', port, '--timeout-ms', '1000']);
        ctx.step('publishing after the restart until the reader receives (it must handshake and subscribe again first)');
        const received = await waitUntil(
          async () => {
            await within(new Promise<void>((resolve) => void writer.publish('/restart', 'after').then(() => resolve(), () => resolve())), 1000, undefined);
            return (await got.reaches(2, 300)) ? true : undefined;
          },
          { withinMs: 12_000, everyMs: 50 },
        );
        const unknown = seen.find((m) => m.channel === '/meta/connect' && typeof m.error === 'string' && m.error.startsWith('402'));
        const handshakes = seen.filter((m) => m.channel === '/meta/handshake' && m.successful === true);
        check(unknown !== undefined && handshakes.length >= 2, {
          expected: 'the reader\'s connect to the new server answered "402::Unknown client", then a second successful handshake',
          actual: `replies the reader got: ${show(seen.filter((m) => typeof m.channel === 'string' && m.channel.startsWith('/meta/')).map((m) => `${String(m.channel)} ${m.successful === true ? 'ok' : String(m.error)}`), 400)}`,
        });
        check(received === true && got.got.includes('after'), { expected: 'the reader to receive "after", published on the restarted server', actual: `it received ${show(got.got)}` });
        void second;
      },
    },
    {
      id: 'main-sigterm',
      title: 'main.ts: SIGTERM answers the held connects and the process exits',
      look: 'main.ts (given): on SIGTERM it calls app.close(), which answers every held connect (engine.ts shutdown()).',
      timeoutMs: 12_000,
      async run(ctx) {
        const server = await startLessonProcess(ctx, 'main.ts', ['--port', '0']);
        const clientId = await handshake(ctx, server.url);
        const pending = startConnect(ctx, server.url, clientId);
        await expectHeld(ctx, pending, 'before SIGTERM');
        ctx.step('sending SIGTERM');
        server.child.kill('SIGTERM');
        await connectAnswer(ctx, pending, 3000, 'when the server gets SIGTERM');
        const exited = await within(new Promise<boolean>((resolve) => (server.child.exitCode !== null ? resolve(true) : server.child.once('exit', () => resolve(true)))), 3000, false);
        check(exited && server.child.exitCode === 0, { expected: 'the process to exit with code 0 soon after SIGTERM', actual: exited ? `it exited with ${show(server.child.exitCode)} (signal ${show(server.child.signalCode)})` : 'it was still running 3 s later' });
      },
    },
  ],
};
