/**
 * Grader for lesson 04 (resume with lastMessageId). The server is graded through
 * `GET /poll?after=N`; the client through the `after` it sends to a scripted server.
 */
import { check, show } from '../../shared/grading/failure.ts';
import { call, describeReply, outcomeWithin, type Reply } from '../../shared/grading/http-client.ts';
import { serveLesson, startBareClient, startLessonClient } from '../../shared/grading/lesson-code.ts';
import { ANSWER_LIMIT_MS, checkAppsAreSeparate, checkRefusalsWithHeldPoll, expectNothingHeld, holdPolls, postMessage, replyWithin, waitingCount } from '../../shared/grading/polls.ts';
import { expectRequest, scriptedServer, type Exchange, type ScriptedServer } from '../../shared/grading/scripted-server.ts';
import { showDelay, watchTimers } from '../../shared/grading/timers.ts';
import type { Grader, TestContext } from '../../shared/grading/types.ts';
import { within } from '../../shared/grading/wait.ts';

interface Message {
  id: number;
  text: string;
  time: number;
}

const HOLD_MS = 60_000;
const RETRY_MS = 30;
const MAX_TEXT_LENGTH = 500;
/** historyLimit and holdMs when the options are left out, as the lesson text states. */
const DEFAULT_HISTORY_LIMIT = 1000;
const DEFAULT_HOLD_MS = 25_000;
/** More missed messages than any plausible cap on one answer. */
const MANY = 1500;

const message = (id: number): Message => ({ id, text: `message ${id}`, time: 1_700_000_000_000 + id });
/** Messages `from`…`to`, as initialMessages. */
const messagesFrom = (from: number, to: number): Message[] => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));
const range = (from: number, to: number): number[] => messagesFrom(from, to).map((m) => m.id);
const idsOf = (messages: readonly Message[] | undefined) => (messages ?? []).map((m) => m?.id);

function serve(ctx: TestContext, options: Record<string, unknown> = {}) {
  return serveLesson<{ shutdown(): void }>(ctx, 'createApp', { holdMs: HOLD_MS, ...options });
}

async function postAll(ctx: TestContext, url: string, count: number): Promise<Message[]> {
  const posted: Message[] = [];
  for (let n = 1; n <= count; n++) posted.push(await postMessage<Message>(ctx, url, `message ${n}`));
  return posted;
}

/** A poll that must be answered at once (the client is behind); returns its body. */
async function pollNow(ctx: TestContext, url: string, after: number): Promise<{ status?: unknown; messages?: Message[]; from?: unknown; to?: unknown }> {
  ctx.step(`GET /poll?after=${after}, which should be answered at once`);
  const reply = await call(url, 'GET', `/poll?after=${after}`, { withinMs: ANSWER_LIMIT_MS });
  check(reply.status === 200 && typeof reply.body === 'object' && reply.body !== null, {
    expected: `GET /poll?after=${after} answered with 200 and a JSON object`,
    actual: describeReply(reply),
  });
  return reply.body as { status?: unknown; messages?: Message[] };
}

/** A poll answer in a few words: its status, and its ids or its gap. */
function describePoll(body: { status?: unknown; messages?: Message[]; from?: unknown; to?: unknown }): string {
  if (body.status === 'messages' && Array.isArray(body.messages)) return `{ "status": "messages" } with ids ${describeIds(idsOf(body.messages))}`;
  if (body.status === 'gap') return `{ "status": "gap", "from": ${show(body.from)}, "to": ${show(body.to)} }`;
  return show(body);
}

/** A list of ids in a few words: `[1,2,3]`, or `1 to 1500 (1500 ids)` when long and consecutive. */
function describeIds(ids: readonly unknown[]): string {
  const consecutive = ids.length > 10 && ids.every((id, i) => i === 0 || id === (ids[i - 1] as number) + 1);
  return consecutive ? `${show(ids[0])} to ${show(ids.at(-1))} (${ids.length} ids)` : show(ids);
}

function expectMessages(body: { status?: unknown; messages?: Message[] }, after: number, ids: number[], look?: string): void {
  const got = idsOf(body.messages);
  // Compared whole: show() shortens long lists for messages.
  check(body.status === 'messages' && JSON.stringify(got) === JSON.stringify(ids), {
    expected: `GET /poll?after=${after} answered { "status": "messages", "messages": [...] } with ids ${describeIds(ids)}, in one answer, oldest first`,
    actual: body.status === 'messages' && Array.isArray(body.messages) ? `{ "status": "messages" } with ids ${describeIds(got)}` : describePoll(body),
    ...(look ? { look } : {}),
  });
}

function startClient(ctx: TestContext, fake: ScriptedServer, extra: Record<string, unknown> = {}) {
  const gaps: unknown[] = [];
  const started = startLessonClient<Message>(ctx, 'startResumingClient', {
    baseUrl: fake.url,
    retryMs: RETRY_MS,
    maxRetryMs: RETRY_MS,
    onGap: (gap: unknown) => void gaps.push(gap),
    ...extra,
  });
  return started.then((client) => ({ ...client, gaps }));
}

/** The client's next poll, checking the `after` it sends. */
async function nextPoll(ctx: TestContext, fake: ScriptedServer, after: string, expectedAfter: number): Promise<Exchange> {
  const poll = await expectRequest(ctx, fake, { method: 'GET', path: '/poll', after });
  const sent = poll.query.get('after');
  check(sent === String(expectedAfter), {
    expected: `GET /poll?after=${expectedAfter} ${after}: the id of the last message the client has`,
    actual: sent === null ? 'GET /poll with no after parameter' : `GET /poll?after=${sent}`,
  });
  return poll;
}

export const grader: Grader = {
  lesson: '04-resume',
  tests: [
    {
      id: 'answers-newer-at-once',
      title: 'server: a poll that is behind is answered at once with every newer message, in order, in one batch',
      look: 'server.ts TODO 4: catchUp(after) — if any kept message has an id greater than `after`, answer them all at once, oldest first.',
      async run(ctx) {
        const { url } = await serve(ctx);
        await postAll(ctx, url, 5);
        expectMessages(await pollNow(ctx, url, 2), 2, [3, 4, 5]);
        expectMessages(await pollNow(ctx, url, 0), 0, [1, 2, 3, 4, 5]);
      },
    },
    {
      id: 'after-is-exclusive',
      title: 'server: after=N means "I have N": the poll waits for N+1 and is answered with it alone',
      look: 'server.ts TODO 4 and 5: compare ids with `>` (newer than after), not `>=`: the client already has message `after`.',
      async run(ctx) {
        const { url } = await serve(ctx);
        await postAll(ctx, url, 3);
        const [poll] = await holdPolls(ctx, url, 1, { path: '/poll?after=3', heldLook: 'server.ts TODO 4: the client has message 3 itself: only ids greater than `after` are newer (>, not >=), so with nothing greater the poll is held.' });
        await postMessage(ctx, url, 'message 4');
        const reply = await replyWithin(ctx, poll!, ANSWER_LIMIT_MS, 'once message 4 is posted');
        expectMessages(reply.body as { messages?: Message[] }, 3, [4]);
      },
    },
    {
      id: 'holds-then-answers',
      title: 'server: every held poll is answered with the new message when it is posted, and forgotten; a poll ahead of the server stays held',
      look: 'server.ts TODO 5, answerHeldPolls: after storing a message, answer every held poll whose `after` is smaller than the message’s id (the same bytes for all of them).',
      async run(ctx) {
        const timers = watchTimers(ctx);
        const { url, app } = await serve(ctx);
        await postAll(ctx, url, 2);
        const polls = await holdPolls(ctx, url, 3, { path: '/poll?after=2' });
        // A client that claims to be ahead of the server (it says it has 3, which the server
        // has not stored yet: a restart lost it) has nothing to get from the next message.
        const [ahead] = await holdPolls(ctx, url, 1, { path: '/poll?after=3', total: 4 });
        await postMessage(ctx, url, 'message 3');
        for (const poll of polls) {
          const reply: Reply = await replyWithin(ctx, poll, ANSWER_LIMIT_MS, 'once message 3 is posted');
          expectMessages(reply.body as { messages?: Message[] }, 2, [3]);
        }
        const early = await outcomeWithin(ahead!, 200);
        check(!early, {
          expected: 'the poll with after=3 still held: message 3 is not newer than 3 (greater, not greater or equal)',
          actual: early?.kind === 'reply' ? describeReply(early.reply) : 'a broken connection',
          look: 'server.ts TODO 5, answerHeldPolls: answer a held poll only if message.id > poll.after.',
        });
        const left = await waitingCount(url);
        check(left === 1, {
          expected: '{ "waiting": 1 } after the post: the three answered polls forgotten, the one ahead still held',
          actual: `{ "waiting": ${left} }`,
          look: 'server.ts TODO 5, answerHeldPolls: answer each poll with answer(poll, bytes), which forgets it (clears its timer, leaves the list) before writing.',
        });
        ctx.step('shutting the server down with the poll ahead still held');
        app.shutdown();
        const cancelled = await replyWithin(ctx, ahead!, ANSWER_LIMIT_MS, 'after shutdown()');
        check((cancelled.body as { status?: unknown } | undefined)?.status === 'cancelled', { expected: 'the held poll answered 200 { "status": "cancelled" } by shutdown()', actual: describeReply(cancelled) });
        await expectNothingHeld(ctx, url, timers, 'once every poll was answered', 'server.ts answerHeldPolls: answer each poll with the given answer(poll, bytes), which forgets it.');
      },
    },
    {
      id: 'rejects-bad-after',
      title: 'server: a missing or malformed after gets 400 and a JSON error; 1 to 15 digits are accepted',
      look: 'server.ts TODO 6, parseAfter: accept only a string of 1 to 15 digits (a whole number, 0 or more, that a number holds exactly); anything else is undefined, and the route answers 400.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const bad = ['/poll', '/poll?after=', '/poll?after=-1', '/poll?after=1.5', '/poll?after=1e309', '/poll?after=abc', '/poll?after=0x10', '/poll?after=%201', '/poll?after=1&after=2', '/poll?after=1234567890123456', '/poll?after=99999999999999999999'];
        for (const path of bad) {
          ctx.step(`GET ${path}`);
          const reply = await call(url, 'GET', path, { withinMs: ANSWER_LIMIT_MS });
          const error = (reply.body as { error?: unknown } | undefined)?.error;
          check(reply.status === 400 && typeof error === 'string', {
            expected: `GET ${path} answered 400 with { "error": "..." }`,
            actual: describeReply(reply),
          });
        }
        // The longest accepted: 15 digits. A poll that far ahead of the server is held.
        await holdPolls(ctx, url, 1, { path: '/poll?after=999999999999999' });
      },
    },
    {
      id: 'gap-when-too-far-behind',
      title: 'server: a client further behind than the kept history is told which ids are gone',
      look: 'server.ts TODO 2 and 3: keep only historyLimit messages; when after < (oldest kept id - 1), answer { status: "gap", from: after + 1, to: oldest kept id - 1 }.',
      async run(ctx) {
        const { url } = await serve(ctx, { historyLimit: 5 });
        await postAll(ctx, url, 12);
        const gap = await pollNow(ctx, url, 0);
        check(gap.status === 'gap' && gap.from === 1 && gap.to === 7, {
          expected: 'with historyLimit 5 and 12 messages, GET /poll?after=0 answered { "status": "gap", "from": 1, "to": 7 } (messages 1–7 are no longer kept)',
          actual: describePoll(gap),
        });
        const small = await pollNow(ctx, url, 6);
        check(small.status === 'gap' && small.from === 7 && small.to === 7, {
          expected: 'GET /poll?after=6 answered { "status": "gap", "from": 7, "to": 7 }',
          actual: describePoll(small),
        });
        expectMessages(await pollNow(ctx, url, 7), 7, [8, 9, 10, 11, 12]);
        expectMessages(await pollNow(ctx, url, 10), 10, [11, 12]);
      },
    },
    {
      id: 'initial-messages',
      title: 'server: started with initialMessages, it serves them and continues from the last id (not from their count)',
      look: 'server.ts TODO 1: the history starts with (the newest historyLimit of) initialMessages, and lastId with the id of the last of them.',
      async run(ctx) {
        // Ids 5 to 7: a server restarted with what it had kept, its first messages long gone.
        const { url } = await serve(ctx, { initialMessages: messagesFrom(5, 7) });
        expectMessages(await pollNow(ctx, url, 5), 5, [6, 7], 'server.ts TODO 1 and TODO 4: the history starts with initialMessages, and catchUp(after) answers every kept message newer than `after`.');
        const next = await postMessage<Message>(ctx, url, 'after the restart');
        check(next.id === 8, {
          expected: 'the next message to get id 8: ids continue after the last initial message (7), whatever their count (3)',
          actual: show(next),
          look: 'server.ts TODO 1: lastId starts at the id of the last initial message — initialMessages.at(-1)?.id — not at their number.',
        });
        const small = await serve(ctx, { historyLimit: 2, initialMessages: messagesFrom(1, 3) });
        const gap = await pollNow(ctx, small.url, 0);
        check(gap.status === 'gap' && gap.from === 1 && gap.to === 1, {
          expected: 'with historyLimit 2 and initial messages 1–3, only 2 and 3 kept: GET /poll?after=0 answered { "status": "gap", "from": 1, "to": 1 }',
          actual: describePoll(gap),
          look: 'server.ts TODO 1: keep only the newest historyLimit of initialMessages (slice(-historyLimit)).',
        });
      },
    },
    {
      id: 'default-history',
      title: 'server: without a historyLimit option it keeps the newest 1000 messages, and without holdMs it holds 25 s (the defaults)',
      look: 'server.ts TODO 1 and 2: use the historyLimit that createApp() reads from its options, default included (DEFAULT_HISTORY_LIMIT, given) — not options.historyLimit.',
      async run(ctx) {
        const { url } = await serve(ctx, { initialMessages: messagesFrom(1, MANY) });
        const gap = await pollNow(ctx, url, 0);
        const lost = MANY - DEFAULT_HISTORY_LIMIT;
        check(gap.status === 'gap' && gap.from === 1 && gap.to === lost, {
          expected: `with ${MANY} initial messages and no historyLimit, the newest ${DEFAULT_HISTORY_LIMIT} kept: GET /poll?after=0 answered { "status": "gap", "from": 1, "to": ${lost} }`,
          actual: describePoll(gap),
        });
        expectMessages(await pollNow(ctx, url, lost), lost, range(lost + 1, MANY));
        ctx.step('holding a poll on an app made without holdMs');
        const timers = watchTimers(ctx);
        const plain = await serveLesson(ctx, 'createApp', {});
        await holdPolls(ctx, plain.url, 1, { path: '/poll?after=0' });
        const hold = timers.all[0];
        check(hold?.ms === DEFAULT_HOLD_MS && hold.state === 'pending', {
          expected: `the poll held with a timer of ${DEFAULT_HOLD_MS} ms when createApp() gets no holdMs`,
          actual: hold ? `the hold timer is of ${showDelay(hold.ms)} ms${hold.state === 'fired' ? ', and it has fired already' : ''}` : 'no timer started for the held poll',
          look: 'server.ts (given, as in lesson 03): createApp() reads { holdMs = DEFAULT_HOLD_MS }; keep that default.',
        });
      },
    },
    {
      id: 'catch-up-everything',
      title: `server: a client ${MANY} messages behind gets all ${MANY} in one answer (no cap on a catch-up)`,
      look: 'server.ts TODO 4: catchUp(after) answers every kept message newer than `after` — the whole rest of the history, however long, in one batch.',
      async run(ctx) {
        const { url } = await serve(ctx, { historyLimit: 5000, initialMessages: messagesFrom(1, MANY) });
        expectMessages(await pollNow(ctx, url, 0), 0, range(1, MANY));
        await postMessage(ctx, url, `message ${MANY + 1}`);
        expectMessages(await pollNow(ctx, url, 1), 1, range(2, MANY + 1));
      },
    },
    {
      id: 'rejects-bad-input',
      title: 'server: bad input gets 400 and a JSON error, answers no held poll, stores nothing and uses no id',
      look: 'server.ts onPost (given): the body is checked before an id is taken; TODO 2 stores only a good message and answers the held polls with it.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const reply = await checkRefusalsWithHeldPoll(ctx, url, MAX_TEXT_LENGTH, '/poll?after=0');
        expectMessages(reply.body as { messages?: Message[] }, 0, [1]);
      },
    },
    {
      id: 'apps-are-separate',
      title: 'server: two apps made by createApp() share nothing: not the held polls, not the history, not the ids',
      look: 'server.ts TODO 1: the history, lastId and the waiting set live inside createApp(), not at the top of the file.',
      async run(ctx) {
        await checkAppsAreSeparate(ctx, () => serve(ctx), (lastId) => `/poll?after=${String(lastId)}`);
      },
    },
    {
      id: 'client-sends-last-id',
      title: 'client: every poll sends the id of the last message it has (starting from lastMessageId)',
      look: 'client.ts TODO 7 and 8: poll `${baseUrl}/poll?after=${lastMessageId}`, and set lastMessageId to each message delivered.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        await startClient(ctx, fake, { lastMessageId: 5 });
        (await nextPoll(ctx, fake, 'from a client started with lastMessageId 5', 5)).respond(200, { status: 'messages', messages: [message(6), message(7)] });
        (await nextPoll(ctx, fake, 'after receiving messages 6 and 7', 7)).respond(200, { status: 'timeout' });
        await nextPoll(ctx, fake, 'after a timeout', 7);
      },
    },
    {
      id: 'client-delivers-once',
      title: 'client: a message it already has is never delivered again',
      look: 'client.ts TODO 8: deliver only messages whose id is greater than lastMessageId.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const { seen } = await startClient(ctx, fake);
        (await nextPoll(ctx, fake, 'after startResumingClient()', 0)).respond(200, { status: 'messages', messages: [message(1), message(2), message(3)] });
        (await nextPoll(ctx, fake, 'after messages 1 to 3', 3)).respond(200, { status: 'messages', messages: [message(2), message(3), message(4)] });
        await nextPoll(ctx, fake, 'after messages 2 to 4', 4);
        check(show(idsOf(seen.messages)) === '[1,2,3,4]', {
          expected: 'onMessage called with ids [1,2,3,4], once each (the second answer repeated 2 and 3)',
          actual: `onMessage was called with ids ${show(idsOf(seen.messages))}`,
        });
      },
    },
    {
      id: 'client-keeps-place-on-error',
      title: 'client: after errors it resumes from its last id, not from the start',
      look: 'client.ts TODO 8 (errors are given): errors and retries must not touch lastMessageId.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const { seen } = await startClient(ctx, fake);
        (await nextPoll(ctx, fake, 'after startResumingClient()', 0)).respond(200, { status: 'messages', messages: [message(1), message(2)] });
        (await nextPoll(ctx, fake, 'after messages 1 and 2', 2)).respond(500, { error: 'the server failed' });
        (await nextPoll(ctx, fake, 'after a 500', 2)).drop();
        (await nextPoll(ctx, fake, 'after a dropped connection', 2)).respond(200, { status: 'messages', messages: [message(3)] });
        await nextPoll(ctx, fake, 'after message 3', 3);
        check(show(idsOf(seen.messages)) === '[1,2,3]', { expected: 'ids [1,2,3] delivered', actual: show(idsOf(seen.messages)) });
      },
    },
    {
      id: 'client-gap',
      title: 'client: on { status: "gap" } it reports the lost ids with onGap and goes on after them',
      look: 'client.ts TODO 9: on a gap call onGap({ from, to }) and set lastMessageId to `to`.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const { seen, gaps } = await startClient(ctx, fake);
        (await nextPoll(ctx, fake, 'after startResumingClient()', 0)).respond(200, { status: 'gap', from: 1, to: 3 });
        (await nextPoll(ctx, fake, 'after a gap from 1 to 3', 3)).respond(200, { status: 'messages', messages: [message(4)] });
        await nextPoll(ctx, fake, 'after message 4', 4);
        check(show(gaps) === show([{ from: 1, to: 3 }]), {
          expected: 'onGap called once with { from: 1, to: 3 }',
          actual: `onGap was called with ${show(gaps)}`,
        });
        check(show(idsOf(seen.messages)) === '[4]', { expected: 'message 4 delivered', actual: show(idsOf(seen.messages)) });
      },
    },
    {
      id: 'client-stop-and-options',
      title: 'client: stop() aborts the held poll, also from inside onMessage; onGap may be left out',
      look: 'client.ts TODO 7 to 9: keep the fetch’s AbortController signal when you add ?after=; check stopped before each delivery; call onGap?.(...).',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        ctx.step('stopping while a poll is held');
        const { poller } = await startClient(ctx, fake);
        const held = await nextPoll(ctx, fake, 'after startResumingClient()', 0);
        poller.stop();
        const aborted = await within(held.abandoned.then(() => true), ANSWER_LIMIT_MS, false);
        check(aborted, { expected: 'stop() to abort the held poll (pass the AbortController’s signal to fetch)', actual: `the poll was still open ${ANSWER_LIMIT_MS} ms after stop()` });

        ctx.step('a client whose onMessage calls stop() in the middle of a batch');
        const got: number[] = [];
        const stopping: { stop(): void } = await startBareClient(ctx, 'startResumingClient', {
          baseUrl: fake.url,
          onMessage: (m: Message) => {
            got.push(m.id);
            stopping.stop();
          },
        });
        (await nextPoll(ctx, fake, 'from a client that stops in onMessage', 0)).respond(200, { status: 'messages', messages: [message(1), message(2), message(3)] });
        const more = await fake.next(300);
        check(show(got) === '[1]' && !more, {
          expected: 'after stop() inside onMessage: nothing more delivered, no request',
          actual: `delivered ${show(got)}${more ? `, then GET ${more.path}?${more.query}` : ''}`,
        });

        ctx.step('a client without onGap meets a gap');
        await startBareClient(ctx, 'startResumingClient', { baseUrl: fake.url, retryMs: RETRY_MS, onMessage: () => undefined });
        (await nextPoll(ctx, fake, 'from a client without onGap', 0)).respond(200, { status: 'gap', from: 1, to: 3 });
        await nextPoll(ctx, fake, 'after a gap, from a client without onGap (onGap is optional: call it as onGap?.(...))', 3);
      },
    },
  ],
};
