/**
 * Grader for lesson 01 (naive polling). It talks to the learner's server over HTTP only,
 * and to the learner's client through a scripted server that decides every answer.
 */
import { badMessageBodies, checkRefusalsLeftNoTrace, checkRefusesEach, checkUnknownRoute } from '../../shared/grading/bad-input.ts';
import { check, show } from '../../shared/grading/failure.ts';
import { call, describeReply } from '../../shared/grading/http-client.ts';
import { checkNoErrorSince, serveLesson, startBareClient, startLessonClient } from '../../shared/grading/lesson-code.ts';
import { expectRequest, scriptedServer, type Exchange, type ScriptedServer } from '../../shared/grading/scripted-server.ts';
import { checkNoTimerLeft, showDelay, watchTimers } from '../../shared/grading/timers.ts';
import type { Grader, TestContext } from '../../shared/grading/types.ts';

interface Message {
  id: number;
  text: string;
  time: number;
}
/** The client's interval in these tests: short, so the tests are quick. */
const INTERVAL_MS = 40;
/** An interval so long that a client which waits before its first poll cannot hide it. */
const LONG_INTERVAL_MS = 10_000;
/** How long the tests watch for a request that must not come. */
const PROMPT_MS = 250;
const MAX_TEXT_LENGTH = 500;

const message = (id: number): Message => ({ id, text: `message ${id}`, time: 1_700_000_000_000 + id });

function startClient(ctx: TestContext, fake: ScriptedServer, intervalMs = INTERVAL_MS) {
  return startLessonClient<Message>(ctx, 'startPolling', { baseUrl: fake.url, intervalMs });
}

/** The client's next poll; fails the test if it does not come. */
function nextPoll(ctx: TestContext, fake: ScriptedServer, after: string): Promise<Exchange> {
  return expectRequest(ctx, fake, { method: 'GET', path: '/messages', after });
}

export const grader: Grader = {
  lesson: '01-naive-polling',
  tests: [
    {
      id: 'post-stores',
      title: 'server: POST /messages stores the message and answers 201 with it',
      look: 'server.ts TODO 3: the POST /messages handler — build { id, text, time }, keep it, answer res.status(201).json(message).',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        ctx.step('posting {"text":"hello, polling"}');
        const before = Date.now();
        const reply = await call(url, 'POST', '/messages', { json: { text: 'hello, polling' } });
        check(reply.status === 201, {
          expected: 'status 201 (Created)',
          actual: describeReply(reply),
        });
        const body = reply.body as Partial<Message> | undefined;
        check(body && Number.isInteger(body.id) && body.id! > 0, {
          expected: 'the stored message as JSON, with a positive whole-number id',
          actual: show(reply.body ?? reply.text),
        });
        check(body.text === 'hello, polling', { expected: 'text "hello, polling"', actual: `text ${show(body.text)}` });
        check(typeof body.time === 'number' && Math.abs(body.time - before) < 60_000, {
          expected: 'time: the moment it was stored, as Date.now() (milliseconds)',
          actual: `time ${show(body.time)}`,
        });
        ctx.step('reading GET /messages');
        const list = await call(url, 'GET', '/messages');
        const texts = ((list.body as { messages?: Message[] })?.messages ?? []).map((m) => m?.text);
        check(texts.includes('hello, polling'), {
          expected: 'GET /messages to include the message just posted',
          actual: `GET /messages answered ${show(list.body ?? list.text)}`,
          look: 'server.ts: push the new message onto the array that GET /messages sends.',
        });
      },
    },
    {
      id: 'get-lists-all',
      title: 'server: GET /messages answers every message, oldest first, ids growing',
      look: 'server.ts TODO 4: GET /messages answers res.json({ messages }) with the whole array, in the order posted.',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        ctx.step('reading GET /messages on a new app');
        const empty = await call(url, 'GET', '/messages');
        check(empty.status === 200, { expected: 'status 200', actual: describeReply(empty) });
        const initial = (empty.body as { messages?: unknown })?.messages;
        check(Array.isArray(initial), {
          expected: 'a JSON object { "messages": [] }',
          actual: show(empty.body ?? empty.text),
        });
        check(initial.length === 0, {
          expected: 'a new app to start with no messages',
          actual: `${initial.length} messages were already there`,
          look: 'server.ts: create the messages array inside createApp(), not at the top of the file.',
        });
        const posted: Message[] = [];
        for (const text of ['one', 'two', 'three']) {
          ctx.step(`posting "${text}"`);
          posted.push((await call(url, 'POST', '/messages', { json: { text } })).body as Message);
        }
        ctx.step('reading GET /messages after three posts');
        const reply = await call(url, 'GET', '/messages');
        const messages = ((reply.body as { messages?: Message[] })?.messages ?? []) as Message[];
        check(
          messages.map((m) => m?.text).join(',') === 'one,two,three',
          { expected: 'the texts "one", "two", "three" in that order', actual: show(reply.body ?? reply.text) },
        );
        const ids = messages.map((m) => m.id);
        check(
          ids.every((id, i) => Number.isInteger(id) && (i === 0 || id > ids[i - 1]!)),
          {
            expected: 'ids that grow with every message (a client finds new messages by their id)',
            actual: `ids ${show(ids)}`,
          },
        );
        check(show(ids) === show(posted.map((m) => m?.id)), {
          expected: `the same ids the POSTs answered: ${show(posted.map((m) => m?.id))}`,
          actual: `ids ${show(ids)}`,
        });
      },
    },
    {
      id: 'rejects-bad-input',
      title: 'server: bad input gets 400 and a JSON error; nothing is stored and no id is used',
      look: 'server.ts TODO 1 and 2: problemWithNewMessage — an object whose "text" is a string, not only spaces, of at most MAX_TEXT_LENGTH characters as sent; check it before anything else happens.',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        await checkRefusesEach(ctx, url, '/messages', badMessageBodies(MAX_TEXT_LENGTH));
        await checkUnknownRoute(ctx, url);
        ctx.step('checking that nothing was stored');
        const list = await call(url, 'GET', '/messages');
        const stored = (list.body as { messages?: unknown[] })?.messages;
        check(Array.isArray(stored) && stored.length === 0, {
          expected: 'no message stored after only bad posts',
          actual: `GET /messages answered ${show(list.body ?? list.text)}`,
        });
        await checkRefusalsLeftNoTrace(ctx, url);
        ctx.step(`posting a text of exactly ${MAX_TEXT_LENGTH} characters`);
        const longest = await call(url, 'POST', '/messages', { json: { text: 'y'.repeat(MAX_TEXT_LENGTH) } });
        // Accepted is enough here (post-stores checks that it is 201): one mistake, one test.
        check(longest.status >= 200 && longest.status < 300, {
          expected: `a text of exactly MAX_TEXT_LENGTH (${MAX_TEXT_LENGTH}) characters accepted (2xx): the limit is "at most"`,
          actual: describeReply(longest),
        });
      },
    },
    {
      id: 'apps-are-separate',
      title: 'server: two apps made by createApp() share nothing: each starts empty, with id 1',
      look: 'server.ts TODO 3: create the messages array (and any id counter) inside createApp(), not at the top of the file.',
      async run(ctx) {
        const first = await serveLesson(ctx);
        const second = await serveLesson(ctx);
        ctx.step('posting to the first app, then reading the second');
        await call(first.url, 'POST', '/messages', { json: { text: 'for the first app' } });
        const list = await call(second.url, 'GET', '/messages');
        check(show(list.body) === show({ messages: [] }), {
          expected: 'a second app, created in the same process, to start empty: { "messages": [] }',
          actual: `it answered ${show(list.body ?? list.text)}: the two apps share one list`,
        });
        const own = await call(second.url, 'POST', '/messages', { json: { text: 'for the second app' } });
        check((own.body as { id?: unknown } | undefined)?.id === 1, {
          expected: "id 1 for the second app's first message",
          actual: describeReply(own),
        });
      },
    },
    {
      id: 'client-first-at-once',
      title: 'client: the first request goes out at once, then the next one intervalMs after the answer',
      look: 'client.ts TODO 6: call pollOnce() once at the start, right away; only the polls after it wait intervalMs.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const timers = watchTimers(ctx);
        await startClient(ctx, fake, LONG_INTERVAL_MS);
        // "At once" is generous here (a busy machine, a first fetch): a client that waits
        // intervalMs first would take ten times as long.
        const first = await expectRequest(ctx, fake, { method: 'GET', path: '/messages', after: `at once after startPolling() (intervalMs ${LONG_INTERVAL_MS})`, withinMs: LONG_INTERVAL_MS / 10 });
        first.respond(200, { messages: [] });
        ctx.step('waiting for your client to schedule its next poll');
        const next = await timers.next(1000);
        check(next?.ms === LONG_INTERVAL_MS, {
          expected: `the next poll scheduled intervalMs (${LONG_INTERVAL_MS} ms) after the answer`,
          actual: next ? `your client started a timer of ${showDelay(next.ms)} ms` : 'your client started no timer after the answer',
        });
        const early = await fake.next(PROMPT_MS);
        check(!early, { expected: `no request during the ${LONG_INTERVAL_MS} ms interval`, actual: `your client sent ${early?.method} ${early?.path}` });
      },
    },
    {
      id: 'client-paces',
      title: 'client: asks at once, then waits intervalMs after each answer before asking again',
      look: 'client.ts TODO 6: after each answer, setTimeout(pollOnce, intervalMs) — neither at once nor never.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const timers = watchTimers(ctx);
        await startClient(ctx, fake);
        let previous = await nextPoll(ctx, fake, 'after startPolling()');
        for (const round of [2, 3]) {
          previous.respond(200, { messages: [] });
          const answeredAt = performance.now();
          // The delay the client asks for, exactly: a busy machine can stretch a real gap,
          // so the measured gap below is only a second witness.
          ctx.step('waiting for your client to schedule its next poll');
          const scheduled = await timers.next(1000);
          check(scheduled?.ms === INTERVAL_MS, {
            expected: `the next poll scheduled intervalMs (${INTERVAL_MS} ms) after an answer`,
            actual: scheduled ? `your client started a timer of ${showDelay(scheduled.ms)} ms` : 'your client started no timer after the answer',
          });
          const exchange = await nextPoll(ctx, fake, `number ${round}`);
          const gap = Math.round(exchange.arrivedAt - answeredAt);
          check(gap >= INTERVAL_MS - 5, {
            expected: `the next poll ${INTERVAL_MS} ms (intervalMs) after an answer`,
            actual: `it came ${gap} ms after the answer: that hammers the server`,
          });
          check(gap < INTERVAL_MS + 900, {
            expected: `the next poll ${INTERVAL_MS} ms (intervalMs) after an answer`,
            actual: `it came ${gap} ms after the answer: use the intervalMs option`,
          });
          previous = exchange;
        }
      },
    },
    {
      id: 'client-no-overlap',
      title: 'client: never has two polls open at once (a slow answer delays the next poll)',
      look: 'client.ts TODO 6: schedule the next poll when the current one has finished (setTimeout), not on a fixed clock (setInterval).',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        await startClient(ctx, fake);
        const slow = await nextPoll(ctx, fake, 'after startPolling()');
        ctx.step('leaving the first poll unanswered for a while');
        const observeMs = INTERVAL_MS * 5;
        const overlapping = await fake.next(observeMs);
        check(!overlapping, {
          expected: `no second request while the first GET /messages is still unanswered`,
          actual: `a second ${overlapping?.method} ${overlapping?.path} came ${Math.round((overlapping?.arrivedAt ?? 0) - slow.arrivedAt)} ms after the first, which was still open`,
        });
        slow.respond(200, { messages: [] });
        await nextPoll(ctx, fake, 'after the slow answer');
      },
    },
    {
      id: 'client-delivers-once',
      title: 'client: delivers each message exactly once, in order, though the server repeats them',
      look: 'client.ts TODO 5: the server sends every message each time; remember the largest id delivered and call onMessage only for larger ones.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const { seen } = await startClient(ctx, fake);
        const answers = [[1], [1, 2], [1, 2, 3], [1, 2, 3]];
        for (const [round, ids] of answers.entries()) {
          const exchange = await nextPoll(ctx, fake, round === 0 ? 'after startPolling()' : `number ${round + 1}`);
          exchange.respond(200, { messages: ids.map(message) });
        }
        // The client asks again only after it has handled an answer: the next poll proves
        // that every answer above was handled.
        await nextPoll(ctx, fake, 'after the last answer');
        const delivered = seen.messages.map((m) => m?.id);
        check(show(delivered) === show([1, 2, 3]), {
          expected: 'onMessage called once per message, in order: ids [1,2,3]',
          actual: `onMessage was called with ids ${show(delivered)} (the server answered [1], [1,2], [1,2,3], [1,2,3])`,
        });
        check(seen.messages.every((m) => m.text === `message ${m.id}`), {
          expected: 'the message objects as the server sent them',
          actual: show(seen.messages),
        });
      },
    },
    {
      id: 'client-stops',
      title: 'client: after stop(), no request is sent, nothing is delivered and no timer is left',
      look: 'client.ts TODO 8: stop() must clear the pending timer, abort the request in flight, and pollOnce must not deliver once stopped.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const quiet = INTERVAL_MS * 5;

        ctx.step('stopping the client while it waits between two polls');
        const timers = watchTimers(ctx);
        const first = await startClient(ctx, fake);
        (await nextPoll(ctx, fake, 'after startPolling()')).respond(200, { messages: [message(1)] });
        ctx.step('waiting for your client to schedule its next poll');
        const scheduled = await timers.next(1000);
        check(scheduled && first.seen.messages.length > 0, {
          expected: 'message 1 delivered, and the next poll scheduled (setTimeout)',
          actual: `delivered ${show(first.seen.messages)}; ${scheduled ? 'a timer started' : 'no timer started'}`,
        });
        first.poller.stop();
        await checkNoTimerLeft(ctx, timers, 'after stop()', 'client.ts TODO 8: stop() must clear the timer of the next poll (clearTimeout), not only set a flag.');
        const late = await fake.next(quiet);
        check(!late, {
          expected: 'no request after stop()',
          actual: `your client sent ${late?.method} ${late?.path} after stop() (it was stopped while waiting between polls)`,
        });

        ctx.step('stopping a second client while its poll is open');
        const second = await startClient(ctx, fake);
        const open = await nextPoll(ctx, fake, 'after startPolling()');
        const errorsBefore = second.seen.errors.length;
        second.poller.stop();
        const aborted = await Promise.race([open.abandoned.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 1000))]);
        check(aborted, {
          expected: 'stop() to abort the request in flight (AbortController)',
          actual: 'the request was still open 1000 ms after stop()',
        });
        open.respond(200, { messages: [message(7)] });
        const after = await fake.next(quiet);
        check(!after, {
          expected: 'no request after stop()',
          actual: `your client sent ${after?.method} ${after?.path} after stop() (it was stopped while a poll was open)`,
        });
        check(second.seen.messages.length === 0, {
          expected: 'nothing delivered after stop(), even if an answer arrives later',
          actual: `onMessage was called with ${show(second.seen.messages)}`,
        });
        ctx.step('a client whose onMessage calls stop() in the middle of a batch');
        const thirdGot: number[] = [];
        const third: { stop(): void } = await startBareClient(ctx, 'startPolling', {
          baseUrl: fake.url,
          intervalMs: INTERVAL_MS,
          onMessage: (m: Message) => {
            thirdGot.push(m.id);
            third.stop();
          },
        });
        (await nextPoll(ctx, fake, 'from a third client')).respond(200, { messages: [message(1), message(2), message(3)] });
        const more = await fake.next(quiet);
        check(show(thirdGot) === '[1]' && !more, {
          expected: 'after stop() inside onMessage: nothing more delivered (not even the rest of that answer) and no request',
          actual: `delivered ids ${show(thirdGot)}${more ? `, then ${more.method} ${more.path}` : ''}`,
        });
        checkNoErrorSince(second.seen, errorsBefore);
      },
    },
    {
      id: 'client-survives-failure',
      title: 'client: a failed request is reported to onError and polling goes on',
      look: 'client.ts TODO 7: wrap the fetch in try/catch, call onError, and schedule the next poll in every case; check response.ok.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const { seen } = await startClient(ctx, fake);
        // An error answer is never data, even when it looks like some.
        (await nextPoll(ctx, fake, 'after startPolling()')).respond(500, { error: 'the server failed', messages: [message(99)] });
        (await nextPoll(ctx, fake, 'after an answer with status 500')).drop();
        (await nextPoll(ctx, fake, 'after a dropped connection')).respond(200, { messages: [message(1)] });
        await nextPoll(ctx, fake, 'after a good answer');
        check(seen.errors.length >= 2, {
          expected: 'onError called for the 500 answer and for the dropped connection',
          actual: `onError was called ${seen.errors.length} time(s)`,
          look: 'client.ts: a 500 answer does not make fetch throw; check response.ok and treat it as an error.',
        });
        check(show(seen.messages.map((m) => m?.id)) === '[1]', {
          expected: 'message 1 delivered after the failures',
          actual: `delivered ${show(seen.messages)}`,
        });

        ctx.step('a client started without onError (it is optional) meets a failure');
        await startBareClient(ctx, 'startPolling', { baseUrl: fake.url, intervalMs: INTERVAL_MS, onMessage: () => undefined });
        (await nextPoll(ctx, fake, 'from a client without onError')).respond(500, { error: 'the server failed' });
        await nextPoll(ctx, fake, 'after a failure, from a client without onError (onError is optional: call it as onError?.(error))');
      },
    },
  ],
};
