/**
 * Grader for lesson 05 (the chat). Each test starts the learner's chat on a fresh database
 * file in a temporary folder, with short hold and presence times; the durability test runs
 * it as a real process (main.ts) and kills it with SIGKILL right after an acknowledgement.
 */
import { readFile } from 'node:fs/promises';
import { isErrorBody } from '../../shared/grading/bad-input.ts';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { check, show } from '../../shared/grading/failure.ts';
import { call as callWithin, describeReply, outcomeWithin, type CallOptions, type PendingCall, type Reply } from '../../shared/grading/http-client.ts';
import { serveLesson } from '../../shared/grading/lesson-code.ts';
import { describeOutcome, holdPolls, replyWithin } from '../../shared/grading/polls.ts';
import { startLessonProcess, temporaryFolder } from '../../shared/grading/processes.ts';
import type { Grader, TestContext } from '../../shared/grading/types.ts';

interface User {
  id: number;
  name: string;
}
interface Friend extends User {
  online: boolean;
}
interface ChatMessage {
  id: number;
  from: number;
  to: number;
  content: string;
  time: number;
}
interface Account {
  user: User;
  token: string;
}
interface ChatApp {
  close?: () => Promise<void>;
}

const PASSWORD = 'correct horse 7f3a';
/**
 * Limits for the chat: every login and registration runs scrypt, which is slow on purpose,
 * and a busy machine makes it slower. These bound a server that hangs without failing one
 * that is merely slow.
 */
const CALL_LIMIT_MS = 5000;
const TEST_LIMIT_MS = 20_000;

function call(url: string, method: string, path: string, options: CallOptions & { withinMs?: number } = {}): Promise<Reply> {
  return callWithin(url, method, path, { withinMs: CALL_LIMIT_MS, ...options });
}
const GRACE_MS = 300;

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function startChat(ctx: TestContext, options: Record<string, unknown> = {}) {
  const folder = await temporaryFolder(ctx);
  const file = path.join(folder, 'chat.sqlite');
  const served = await serveLesson<ChatApp>(ctx, 'createApp', { file, holdMs: 5000, presenceGraceMs: GRACE_MS, ...options });
  return { ...served, file };
}

function expectStatus(reply: Reply, status: number, what: string): void {
  check(reply.status === status, { expected: `${what}: status ${status}`, actual: describeReply(reply) });
}

function expectError(reply: Reply, status: number, what: string): void {
  check(reply.status === status && isErrorBody(reply.body), {
    expected: `${what}: status ${status} with { "error": "what is wrong" } (a message, not empty)`,
    actual: describeReply(reply),
  });
}

async function register(ctx: TestContext, url: string, name: string, password = PASSWORD): Promise<User> {
  ctx.step(`registering "${name}"`);
  const reply = await call(url, 'POST', '/register', { json: { name, password } });
  expectStatus(reply, 201, `POST /register for "${name}"`);
  const user = (reply.body as { user?: User })?.user;
  check(user && Number.isInteger(user.id) && user.name === name, {
    expected: `{ "user": { "id": <number>, "name": ${show(name)} } }`,
    actual: describeReply(reply),
  });
  return user;
}

async function login(ctx: TestContext, url: string, name: string, password = PASSWORD): Promise<Account> {
  ctx.step(`logging in as "${name}"`);
  const reply = await call(url, 'POST', '/login', { json: { name, password } });
  expectStatus(reply, 200, `POST /login for "${name}"`);
  const body = reply.body as Partial<Account> | undefined;
  check(typeof body?.token === 'string' && body.token.length >= 16 && body.user?.name === name, {
    expected: '{ "token": "<at least 16 characters>", "user": { "id", "name" } }',
    actual: describeReply(reply),
  });
  return body as Account;
}

async function account(ctx: TestContext, url: string, name: string): Promise<Account> {
  await register(ctx, url, name);
  return login(ctx, url, name);
}

async function befriend(ctx: TestContext, url: string, who: Account, name: string): Promise<void> {
  ctx.step(`${who.user.name} adds ${name} as a friend`);
  const reply = await call(url, 'POST', '/friends', { json: { name }, headers: auth(who.token) });
  expectStatus(reply, 201, `POST /friends { "name": ${show(name)} }`);
  const friend = (reply.body as { friend?: Friend })?.friend;
  check(Number.isInteger(friend?.id) && friend?.name === name && typeof friend?.online === 'boolean', {
    expected: `{ "friend": { "id": <number>, "name": ${show(name)}, "online": <true or false> } } (see protocol.ts)`,
    actual: describeReply(reply),
  });
}

/** A body the JSON parser does not read: a route must answer it as if the fields were missing. */
const NOT_JSON = { body: 'name=ann&password=secret', headers: { 'content-type': 'application/x-www-form-urlencoded' } };

async function send(ctx: TestContext, url: string, from: Account, to: User, content: string, extra: Record<string, unknown> = {}): Promise<ChatMessage> {
  ctx.step(`${from.user.name} sends "${content.length > 40 ? `${content.slice(0, 20)}… (${content.length} characters)` : content}" to ${to.name}`);
  const reply = await call(url, 'POST', '/messages', { json: { to: to.id, content, ...extra }, headers: auth(from.token) });
  expectStatus(reply, 201, `POST /messages from ${from.user.name} to ${to.name}`);
  return reply.body as ChatMessage;
}

/** Two new accounts, ann and ben, who are friends (ann added ben). */
async function annAndBen(ctx: TestContext, url: string): Promise<{ a: Account; b: Account }> {
  const a = await account(ctx, url, 'ann');
  const b = await account(ctx, url, 'ben');
  await befriend(ctx, url, a, 'ben');
  return { a, b };
}

async function friendsOf(url: string, who: Account): Promise<Friend[]> {
  const reply = await call(url, 'GET', '/friends', { headers: auth(who.token) });
  expectStatus(reply, 200, 'GET /friends');
  const friends = (reply.body as { friends?: Friend[] })?.friends;
  check(Array.isArray(friends), { expected: '{ "friends": [...] }', actual: describeReply(reply) });
  return friends;
}

async function history(url: string, who: Account, query: string): Promise<ChatMessage[]> {
  const reply = await call(url, 'GET', `/history?${query}`, { headers: auth(who.token) });
  expectStatus(reply, 200, `GET /history?${query} as ${who.user.name}`);
  const messages = (reply.body as { messages?: ChatMessage[] })?.messages;
  check(Array.isArray(messages), { expected: '{ "messages": [...] }', actual: describeReply(reply) });
  return messages;
}

/** Holds one poll of `who`, with /stats reaching `total` held polls in all. */
async function holdFor(ctx: TestContext, url: string, who: Account, after: number, total: number): Promise<PendingCall> {
  const [poll] = await holdPolls(ctx, url, 1, { path: `/poll?after=${after}`, headers: auth(who.token), total, withinMs: CALL_LIMIT_MS });
  return poll!;
}

async function answerOf(ctx: TestContext, poll: PendingCall, after: string, withinMs = CALL_LIMIT_MS): Promise<{ status?: unknown; messages?: ChatMessage[]; presence?: Friend[] }> {
  const reply = await replyWithin(ctx, poll, withinMs, after);
  return reply.body as { status?: unknown; messages?: ChatMessage[]; presence?: Friend[] };
}

/** Polls at once as `who` and expects presence news about `about` (online or not). */
async function expectNews(ctx: TestContext, url: string, who: Account, about: Account, online: boolean, why: string): Promise<void> {
  ctx.step(`${who.user.name} polls and hears ${why}`);
  const reply = await call(url, 'GET', '/poll?after=0', { headers: auth(who.token) });
  const presence = (reply.body as { presence?: Friend[] })?.presence;
  check(reply.status === 200 && presence?.some((f) => f.id === about.user.id && f.online === online), {
    expected: `${who.user.name}'s poll answered at once with { "status": "presence" } news that ${about.user.name} is ${online ? 'online' : 'offline'} (${why}; news is kept until the next poll)`,
    actual: describeReply(reply),
    look: 'hub.ts: presence news for a user who has no poll open is queued and answers their next poll at once.',
  });
}

/**
 * Brings two new friends online and consumes the news that causes, so that later polls
 * of both are held until something new happens.
 */
async function comeOnline(ctx: TestContext, url: string, a: Account, b: Account, heldBefore = 0): Promise<void> {
  await expectNews(ctx, url, a, b, false, `that ${b.user.name} is a new friend`);
  const aWaits = await holdFor(ctx, url, a, 0, heldBefore + 1);
  await expectNews(ctx, url, b, a, true, `that ${a.user.name} is online`);
  const news = await answerOf(ctx, aWaits, `when ${b.user.name} comes online`);
  check(news.status === 'presence' && news.presence?.some((f) => f.id === b.user.id && f.online === true), {
    expected: `${a.user.name}'s held poll answered { "status": "presence", "presence": [{ ${b.user.name}, online: true }] }`,
    actual: show(news),
  });
}

/** Both come online, then each holds a poll that nothing has answered yet. */
async function bothHolding(ctx: TestContext, url: string, a: Account, b: Account): Promise<{ aPoll: PendingCall; bPoll: PendingCall }> {
  await comeOnline(ctx, url, a, b);
  const bPoll = await holdFor(ctx, url, b, 0, 1);
  const aPoll = await holdFor(ctx, url, a, 0, 2);
  return { aPoll, bPoll };
}

function expectHeardOffline(answer: { status?: unknown; presence?: Friend[] }, listener: Account, leaver: Account, when: string): void {
  check(answer.status === 'presence' && answer.presence?.some((f) => f.id === leaver.user.id && f.online === false), {
    expected: `${listener.user.name}'s poll answered ${when} with { "status": "presence", "presence": [{ ${leaver.user.name}, online: false }] }`,
    actual: show(answer),
  });
}

const contents = (messages: readonly ChatMessage[] | undefined) => (messages ?? []).map((m) => m?.content);

export const grader: Grader = {
  lesson: '05-chat',
  tests: [
    {
      id: 'register-login-logout',
      title: 'accounts: register (any Unicode name), log in for a token, log out and the token stops working',
      look: 'server.ts: /register, /login (a random token for a session), /logout (delete the session), and requireUser.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const user = await register(ctx, url, '漠然');
        const session = await login(ctx, url, '漠然');
        check(session.user.id === user.id, { expected: 'login to answer the registered user', actual: show(session.user) });
        const me = await call(url, 'GET', '/me', { headers: auth(session.token) });
        check(me.status === 200 && (me.body as { user?: User })?.user?.id === user.id, { expected: 'GET /me with the token: { "user": ... }', actual: describeReply(me) });
        const second = await login(ctx, url, '漠然');
        check(second.token !== session.token, { expected: 'a new random token for each login', actual: 'the same token twice' });
        ctx.step('holding a poll in each session, then logging one session out');
        const kept = await holdFor(ctx, url, second, 0, 1);
        const ended = await holdFor(ctx, url, session, 0, 2);
        expectStatus(await call(url, 'POST', '/logout', { headers: auth(session.token) }), 204, 'POST /logout');
        const cancelled = await answerOf(ctx, ended, 'when its session logs out');
        check(cancelled.status === 'cancelled', { expected: 'the logged-out session’s held poll answered { "status": "cancelled" }', actual: show(cancelled) });
        const other = await outcomeWithin(kept, 300);
        check(!other, {
          expected: 'the other session’s poll still held: logging out one tab keeps the other',
          actual: other ? `it was answered: ${describeOutcome(other)}` : '',
        });
        expectError(await call(url, 'GET', '/me', { headers: auth(session.token) }), 401, 'GET /me with a logged-out token');
        expectStatus(await call(url, 'GET', '/me', { headers: auth(second.token) }), 200, "GET /me with the other session's token (logging out one tab keeps the other)");
      },
    },
    {
      id: 'account-errors',
      title: 'accounts: duplicate names, bad fields and wrong passwords get clear 4xx JSON errors',
      look: 'server.ts: 400 for missing or bad fields, 409 for a taken name, 401 (the same for both) for an unknown name or a wrong password.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        await register(ctx, url, 'liger_zql');
        expectError(await call(url, 'POST', '/register', { json: { name: 'liger_zql', password: PASSWORD } }), 409, 'registering a taken name');
        const bad: Array<[string, unknown]> = [
          ['no body fields', {}],
          ['no password', { name: 'ann' }],
          ['a password of 2 characters', { name: 'ann', password: 'ab' }],
          ['a name of spaces', { name: '   ', password: PASSWORD }],
          ['a name of 100 characters', { name: 'n'.repeat(100), password: PASSWORD }],
          ['a name that is a number', { name: 42, password: PASSWORD }],
        ];
        for (const [what, body] of bad) expectError(await call(url, 'POST', '/register', { json: body }), 400, `registering with ${what}`);
        expectError(await call(url, 'POST', '/register', NOT_JSON), 400, 'registering with a body that is not JSON');
        expectError(await call(url, 'POST', '/login', NOT_JSON), 401, 'logging in with a body that is not JSON');
        expectError(await call(url, 'POST', '/login', { json: { name: 'liger_zql', password: 12345 } }), 401, 'logging in with a password that is a number, not text');
        expectError(await call(url, 'POST', '/login', { json: { name: 'liger_zql', password: 'wrong password' } }), 401, 'logging in with a wrong password');
        expectError(await call(url, 'POST', '/login', { json: { name: 'nobody', password: PASSWORD } }), 401, 'logging in as an unknown user');
      },
    },
    {
      id: 'requires-token',
      title: 'every chat route refuses a request without a valid token (401)',
      look: 'server.ts: put requireUser on every route but /register, /login and /stats; it reads Authorization: Bearer <token>.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const routes: Array<[string, string, unknown]> = [
          ['GET', '/me', undefined],
          ['GET', '/friends', undefined],
          ['POST', '/friends', { name: 'x' }],
          ['POST', '/messages', { to: 1, content: 'x' }],
          ['GET', '/poll?after=0', undefined],
          ['GET', '/history?with=1', undefined],
          ['POST', '/logout', undefined],
        ];
        for (const [method, route, json] of routes) {
          for (const [what, headers] of [['no token', {}], ['a made-up token', auth('made-up-token-0123456789abcdef')]] as const) {
            ctx.step(`${method} ${route} with ${what}`);
            expectError(await call(url, method, route, { json, headers }), 401, `${method} ${route} with ${what}`);
          }
        }
      },
    },
    {
      id: 'passwords-hashed',
      title: 'passwords are stored only as salted hashes, never as text or a fast unsalted hash',
      look: 'passwords.ts: hash with scrypt and a random salt per user; store only "scrypt$salt$hash".',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url, file } = await startChat(ctx);
        await register(ctx, url, 'careful');
        await login(ctx, url, 'careful');
        ctx.step('reading the database file');
        const bytes = await readFile(file);
        const forms: Array<[string, string]> = [
          ['as text', PASSWORD],
          ...(['md5', 'sha1', 'sha256', 'sha512'] as const).flatMap((algorithm): Array<[string, string]> => {
            const digest = createHash(algorithm).update(PASSWORD).digest();
            return [[`as an unsalted ${algorithm} (hex)`, digest.toString('hex')], [`as an unsalted ${algorithm} (base64)`, digest.toString('base64')]];
          }),
        ];
        for (const [how, needle] of forms) {
          check(!bytes.includes(needle), {
            expected: 'no trace of the password in the database file',
            actual: `the file contains the password ${how}`,
          });
        }
      },
    },
    {
      id: 'friends-both-ways',
      title: 'friends: adding a friend by name makes both see each other; duplicates, strangers and yourself are refused',
      look: 'store.ts: a friendship is two rows in relations, one each way; server.ts: 201 { friend }, and 409, 404 and 400 for the refusals.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const { a, b } = await annAndBen(ctx, url);
        check((await friendsOf(url, a)).some((f) => f.id === b.user.id && f.name === 'ben'), { expected: "ben in ann's friends", actual: show(await friendsOf(url, a)) });
        check((await friendsOf(url, b)).some((f) => f.id === a.user.id && f.name === 'ann'), { expected: "ann in ben's friends (both ways)", actual: show(await friendsOf(url, b)) });
        expectError(await call(url, 'POST', '/friends', { json: { name: 'ann' }, headers: auth(b.token) }), 409, 'adding a friend again');
        expectError(await call(url, 'POST', '/friends', { json: { name: 'nobody' }, headers: auth(a.token) }), 404, 'adding an unknown user');
        expectError(await call(url, 'POST', '/friends', { json: { name: 'ann' }, headers: auth(a.token) }), 400, 'adding yourself');
        expectError(await call(url, 'POST', '/friends', { json: {}, headers: auth(a.token) }), 400, 'adding a friend without a name');
        expectError(await call(url, 'POST', '/friends', { ...NOT_JSON, headers: { ...NOT_JSON.headers, ...auth(a.token) } }), 400, 'adding a friend with a body that is not JSON');
      },
    },
    {
      id: 'presence-online-offline',
      title: 'presence: a user with a poll is online; friends are told when they come and when they go',
      look: 'hub.ts: a poll marks its user online and tells their friends; when the last poll ends and the grace time passes with no new one, they go offline and friends are told.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const { a, b } = await annAndBen(ctx, url);
        const { aPoll, bPoll } = await bothHolding(ctx, url, a, b);
        check((await friendsOf(url, a)).find((f) => f.id === b.user.id)?.online === true, { expected: 'GET /friends: ben online', actual: show(await friendsOf(url, a)) });
        ctx.step('ben leaves (his poll is aborted)');
        bPoll.abort();
        const gone = await answerOf(ctx, aPoll, `when ben goes offline (${GRACE_MS} ms grace)`, GRACE_MS + CALL_LIMIT_MS);
        expectHeardOffline(gone, a, b, 'after the grace time');
        check((await friendsOf(url, a)).find((f) => f.id === b.user.id)?.online === false, { expected: 'GET /friends: ben offline', actual: show(await friendsOf(url, a)) });
      },
    },
    {
      id: 'presence-survives-repoll',
      title: 'presence: a user stays online between two polls (no offline/online flicker on every message)',
      look: 'hub.ts: when a poll ends, wait the grace time before going offline; a new poll in time cancels it.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx, { presenceGraceMs: 1500 });
        const { a, b } = await annAndBen(ctx, url);
        const { aPoll, bPoll } = await bothHolding(ctx, url, a, b);
        const message = await send(ctx, url, a, b.user, 'hello');
        await answerOf(ctx, bPoll, 'with the message');
        await answerOf(ctx, aPoll, 'with her own message (her other tabs see what she sends)');
        await holdFor(ctx, url, b, message.id, 1);
        ctx.step('ann polls again: ben never left, so there is no news for her');
        await holdFor(ctx, url, a, message.id, 2);
      },
    },
    {
      id: 'logout-goes-offline',
      title: 'presence: a user who logs out of their last session is offline at once, without the grace time',
      look: 'hub.ts logout(): cancel the polls of that session; if the user has no poll left, go offline now and tell their friends.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        // A grace time far longer than the wait below: only logout itself can send the news in time.
        const { url } = await startChat(ctx, { presenceGraceMs: 60_000 });
        const { a, b } = await annAndBen(ctx, url);
        const { aPoll, bPoll } = await bothHolding(ctx, url, a, b);
        expectStatus(await call(url, 'POST', '/logout', { headers: auth(b.token) }), 204, 'POST /logout as ben');
        const cancelled = await answerOf(ctx, bPoll, 'when ben logs out');
        check(cancelled.status === 'cancelled', { expected: 'ben’s held poll answered { "status": "cancelled" }', actual: show(cancelled) });
        const gone = await answerOf(ctx, aPoll, 'when ben logs out (the 60 s grace time must not apply)');
        expectHeardOffline(gone, a, b, 'at once');
      },
    },
    {
      id: 'presence-two-tabs',
      title: 'presence: a user with two tabs stays online while one of them still polls',
      look: 'hub.ts: going offline needs the user’s last poll to end (#maybeLeaving), and logout() goes offline only when no poll of any session is left.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const { a, b } = await annAndBen(ctx, url);
        const secondTab = await login(ctx, url, 'ben');
        const { aPoll } = await bothHolding(ctx, url, a, b);
        const closing = await holdFor(ctx, url, secondTab, 0, 3);
        const expectStillHeld = async (after: string, withinMs: number) => {
          const answered = await outcomeWithin(aPoll, withinMs);
          check(!answered, {
            expected: `ann's poll still held ${after}: ben's first tab still polls, so he is online and there is no news`,
            actual: answered ? `it was answered: ${describeOutcome(answered)}` : '',
          });
        };
        ctx.step("ben's second tab closes (its poll is aborted)");
        closing.abort();
        await expectStillHeld(`${GRACE_MS} ms grace time after the second tab closed`, GRACE_MS + 500);
        ctx.step("ben's second tab's session logs out");
        expectStatus(await call(url, 'POST', '/logout', { headers: auth(secondTab.token) }), 204, "POST /logout for ben's second tab");
        await expectStillHeld('after the second session logged out', 300);
      },
    },
    {
      id: 'private-delivery',
      title: 'messages: a message reaches its recipient (every tab) and the sender’s other tabs, and nobody else',
      look: 'hub.ts: keep held polls per user; a message wakes the polls of its recipient and its sender only.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const { a, b } = await annAndBen(ctx, url);
        const c = await account(ctx, url, 'cy');
        const b2 = await login(ctx, url, 'ben');
        const a2 = await login(ctx, url, 'ann');
        await comeOnline(ctx, url, a, b);
        // cy has no friends: no presence news for her, so her poll is held; a server that
        // sends every message to every held poll would answer it.
        const held: Array<[string, PendingCall]> = [];
        for (const [name, who] of [['ben', b], ['ben (second tab)', b2], ['ann (second tab)', a2], ['cy', c]] as const) {
          held.push([name, await holdFor(ctx, url, who, 0, held.length + 1)]);
        }
        const message = await send(ctx, url, a, b.user, 'for ben only');
        for (const [name, poll] of held.slice(0, 3)) {
          const answer = await answerOf(ctx, poll, `for ${name}`);
          check(answer.status === 'messages' && show(contents(answer.messages)) === show(['for ben only']), {
            expected: `${name}'s poll answered with the message`,
            actual: show(answer),
          });
        }
        const third = await outcomeWithin(held[3]![1], 300);
        check(!third, {
          expected: "cy's poll (not sender, not recipient) to stay held",
          actual: third ? `it was answered: ${describeOutcome(third)}` : '',
        });
        check(message.from === a.user.id && message.to === b.user.id, { expected: `from ${a.user.id} to ${b.user.id}`, actual: show(message) });
        expectError(await call(url, 'POST', '/messages', { json: { to: 999, content: 'x' }, headers: auth(a.token) }), 404, 'writing to an unknown user');
        const d = await account(ctx, url, 'dee');
        expectError(await call(url, 'POST', '/messages', { json: { to: d.user.id, content: 'x' }, headers: auth(a.token) }), 403, 'writing to a user who is not a friend');
      },
    },
    {
      id: 'no-impersonation',
      title: 'messages: nobody can send as, poll for or read the history of another user',
      look: 'server.ts: the sender and the reader are always the token’s user; ignore any user id in the body or query; history only with friends.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const { a, b } = await annAndBen(ctx, url);
        const c = await account(ctx, url, 'cy');
        await befriend(ctx, url, b, 'cy');
        const forged = await send(ctx, url, a, b.user, 'really from ann', { from: c.user.id, user: c.user.id });
        check(forged.from === a.user.id, {
          expected: `the message stored as from ann (${a.user.id}), whatever the body says`,
          actual: `it is from ${forged.from}: the sender was taken from the body`,
        });
        check(show(contents(await history(url, b, `with=${c.user.id}`))) === '[]', { expected: "nothing in ben's conversation with cy", actual: show(await history(url, b, `with=${c.user.id}`)) });
        expectError(await call(url, 'GET', `/history?with=${c.user.id}`, { headers: auth(a.token) }), 403, "ann reading a conversation with cy, who is not her friend");
        await send(ctx, url, b, c.user, 'between ben and cy');
        ctx.step("ann polls from the start: she must get her own message only");
        const mine = await call(url, 'GET', '/poll?after=0&user=' + c.user.id, { headers: auth(a.token) });
        const messages = (mine.body as { messages?: ChatMessage[] })?.messages;
        check(mine.status === 200 && show(contents(messages)) === show(['really from ann']), {
          expected: "ann's poll answered with her own messages only: [\"really from ann\"]",
          actual: describeReply(mine),
        });
      },
    },
    {
      id: 'history-pages',
      title: 'history: pages through one conversation, newest page first, each page oldest first',
      look: 'store.ts: conversation() selects the two users’ messages with id < before, newest `limit`, then returns them oldest first; server.ts: 400 for a "with", "before" or "limit" that is not a whole number.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const { a, b } = await annAndBen(ctx, url);
        const c = await account(ctx, url, 'cy');
        await befriend(ctx, url, a, 'cy');
        const sent: ChatMessage[] = [];
        for (let n = 1; n <= 7; n++) {
          sent.push(await send(ctx, url, n % 2 ? a : b, n % 2 ? b.user : a.user, `m${n}`));
          if (n === 4) await send(ctx, url, a, c.user, 'to cy');
        }
        const page1 = await history(url, a, `with=${b.user.id}&limit=3`);
        check(show(contents(page1)) === show(['m5', 'm6', 'm7']), { expected: 'the newest 3: ["m5","m6","m7"], oldest first', actual: show(contents(page1)) });
        const page2 = await history(url, a, `with=${b.user.id}&limit=3&before=${page1[0]!.id}`);
        check(show(contents(page2)) === show(['m2', 'm3', 'm4']), { expected: `before=${page1[0]!.id}: ["m2","m3","m4"]`, actual: show(contents(page2)) });
        const page3 = await history(url, b, `with=${a.user.id}&limit=3&before=${page2[0]!.id}`);
        check(show(contents(page3)) === show(['m1']), { expected: `ben's view, before=${page2[0]!.id}: ["m1"]`, actual: show(contents(page3)) });
        const newest = await history(url, a, `with=${b.user.id}&limit=1`);
        check(show(contents(newest)) === show(['m7']), { expected: 'limit=1 (the smallest page): ["m7"]', actual: show(contents(newest)) });
        for (const query of [`with=abc`, `with=${b.user.id}&limit=0`, `with=${b.user.id}&limit=many`, `with=${b.user.id}&before=-1`]) {
          expectError(await call(url, 'GET', `/history?${query}`, { headers: auth(a.token) }), 400, `GET /history?${query}`);
        }
      },
    },
    {
      id: 'resume-after-restart',
      title: 'a user who comes back after a restart gets every message they missed, once, and ids continue',
      look: 'store.ts: load the database file at start; server.ts: GET /poll?after=N answers at once with the user’s messages newer than N.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const first = await startChat(ctx);
        const { a, b } = await annAndBen(ctx, first.url);
        const sent = [];
        for (const text of ['while', 'you', 'were away']) sent.push(await send(ctx, first.url, a, b.user, text));
        ctx.step('restarting the chat on the same file');
        await first.app.close?.();
        await first.close();
        const second = await serveLesson<ChatApp>(ctx, 'createApp', { file: first.file, holdMs: 5000, presenceGraceMs: GRACE_MS });
        const back = await call(second.url, 'GET', '/poll?after=0', { headers: auth(b.token) });
        const messages = (back.body as { messages?: ChatMessage[] })?.messages;
        check(back.status === 200 && show(contents(messages)) === show(['while', 'you', 'were away']), {
          expected: 'ben (same token: sessions are stored too) gets the 3 messages at once, in order, once',
          actual: describeReply(back),
        });
        const last = sent.at(-1)!.id;
        const poll = await holdFor(ctx, second.url, b, last, 1);
        const next = await send(ctx, second.url, a, b.user, 'welcome back');
        check(next.id > last, { expected: `a new id greater than ${last}`, actual: `id ${next.id}` });
        const answer = await answerOf(ctx, poll, 'with the new message');
        check(show(contents(answer.messages)) === show(['welcome back']), { expected: 'only the new message', actual: show(answer) });
      },
    },
    {
      id: 'durable-ack',
      title: 'an acknowledged message survives the server being killed (SIGKILL) right after the 201',
      look: 'server.ts: await store.commit() before answering 201 — acknowledge only what is on disk.',
      timeoutMs: 40_000,
      // two process starts and six delayed disk writes
      async run(ctx) {
        const folder = await temporaryFolder(ctx);
        const file = path.join(folder, 'chat.sqlite');
        const args = ['--port', '0', '--file', file, '--commit-delay-ms', '300'];
        const first = await startLessonProcess(ctx, 'main.ts', args);
        const { a, b } = await annAndBen(ctx, first.url);
        await send(ctx, first.url, a, b.user, 'must survive');
        ctx.step('killing the server with SIGKILL right after the 201');
        await first.kill('SIGKILL');
        const second = await startLessonProcess(ctx, 'main.ts', args);
        const again = await login(ctx, second.url, 'ann');
        const kept = await history(second.url, again, `with=${b.user.id}`);
        check(contents(kept).includes('must survive'), {
          expected: 'the acknowledged message in the history after a restart',
          actual: `history: ${show(contents(kept))} — the 201 came before the message was on disk`,
        });
      },
    },
    {
      id: 'sql-literal',
      title: 'names and messages that look like SQL are stored and returned exactly as typed',
      look: 'store.ts: pass every value as a bound parameter (?), never inside the SQL text.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const sly = `o'brien"); DROP TABLE users; --`;
        const bobby = `Bob'); DELETE FROM messages;--`;
        const a = await account(ctx, url, sly);
        const b = await account(ctx, url, bobby);
        await befriend(ctx, url, a, bobby);
        const tricky = [`'); DROP TABLE messages; --`, `%' OR '1'='1`, `"; SELECT * FROM users; --`];
        for (const text of tricky) await send(ctx, url, a, b.user, text);
        check((await friendsOf(url, a)).some((f) => f.name === bobby), { expected: `the friend named ${show(bobby)}`, actual: show(await friendsOf(url, a)) });
        check(show(contents(await history(url, b, `with=${a.user.id}`))) === show(tricky), {
          expected: `the messages exactly as sent: ${show(tricky)}`,
          actual: show(contents(await history(url, b, `with=${a.user.id}`))),
        });
      },
    },
    {
      id: 'rejects-bad-input',
      title: 'bad message and poll input gets 400 and a JSON error',
      look: 'server.ts: check "to" (a positive whole number), "content" (1 to 2000 characters, not only spaces) and "after" before anything else.',
      timeoutMs: TEST_LIMIT_MS,
      async run(ctx) {
        const { url } = await startChat(ctx);
        const { a, b } = await annAndBen(ctx, url);
        const bodies: Array<[string, unknown]> = [
          ['no recipient', { content: 'hi' }],
          ['a recipient that is text', { to: 'ben', content: 'hi' }],
          ['a negative recipient', { to: -1, content: 'hi' }],
          ['empty content', { to: b.user.id, content: '' }],
          ['content of only spaces', { to: b.user.id, content: '   ' }],
          ['content of 2001 characters', { to: b.user.id, content: 'x'.repeat(2001) }],
          ['content that is a number', { to: b.user.id, content: 5 }],
        ];
        for (const [what, json] of bodies) expectError(await call(url, 'POST', '/messages', { json, headers: auth(a.token) }), 400, `a message with ${what}`);
        expectError(await call(url, 'POST', '/messages', { ...NOT_JSON, headers: { ...NOT_JSON.headers, ...auth(a.token) } }), 400, 'a message with a body that is not JSON');
        const longest = await send(ctx, url, a, b.user, 'x'.repeat(2000));
        check(longest.content?.length === 2000, { expected: 'a message of exactly 2000 characters accepted and stored whole', actual: `content of ${longest.content?.length} characters` });
        for (const after of ['-1', 'abc', '1.5', '']) expectError(await call(url, 'GET', `/poll?after=${after}`, { headers: auth(a.token) }), 400, `GET /poll?after=${after}`);
      },
    },
  ],
};
