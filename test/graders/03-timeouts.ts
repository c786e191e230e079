/**
 * Grader for lesson 03 (timeouts, departures, shutdown, back-off). The server runs with a
 * short hold (HOLD_MS) so no test waits 25 real seconds; tests about departures use a long
 * hold, so that only the server's own cleanup can empty its list in time.
 */
import { check, show } from '../../shared/grading/failure.ts';
import { call, describeReply, type Reply } from '../../shared/grading/http-client.ts';
import { checkNoErrorSince, serveLesson, startBareClient, startLessonClient } from '../../shared/grading/lesson-code.ts';
import { ANSWER_LIMIT_MS, checkAppsAreSeparate, checkRefusalsWithHeldPoll, expectNothingHeld, expectWaiting, holdPolls, postMessage, replyWithin, waitingCount } from '../../shared/grading/polls.ts';
import { expectRequest, scriptedServer, type Exchange, type ScriptedServer } from '../../shared/grading/scripted-server.ts';
import { checkNoTimerLeft, showDelay, watchTimers, type TimerWatch } from '../../shared/grading/timers.ts';
import type { Grader, TestContext } from '../../shared/grading/types.ts';
import { within } from '../../shared/grading/wait.ts';

interface Message {
  id: number;
  text: string;
  time: number;
}
interface CometApp {
  shutdown?: unknown;
}

/** The server's hold in these tests. */
const HOLD_MS = 150;
/** A hold long enough that no poll times out during a test. */
const LONG_HOLD_MS = 60_000;
const PROMPT_MS = 250;
/** The client's first pause after a failure, and its cap, in these tests. */
const RETRY_MS = 40;
const MAX_RETRY_MS = 320;
/** Slack allowed above an expected pause (timers fire late on a busy machine, never early). */
const PAUSE_SLACK_MS = 200;
/** A retryMs so long that a pause where there should be none cannot hide in the tests' margins. */
const LONG_RETRY_MS = 10_000;
const MAX_TEXT_LENGTH = 500;
/** The defaults the lesson text states. */
const DEFAULT_HOLD_MS = 25_000;
const DEFAULT_PAUSES = [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];

const message = (id: number): Message => ({ id, text: `message ${id}`, time: 1_700_000_000_000 + id });

const serve = (ctx: TestContext, holdMs = HOLD_MS) => serveLesson<CometApp>(ctx, 'createApp', { holdMs });

function statusOf(reply: Reply): unknown {
  return (reply.body as { status?: unknown } | undefined)?.status;
}

async function answerOf(ctx: TestContext, reply: Promise<Reply>, expected: string): Promise<{ status?: unknown; message?: Message }> {
  const body = (await reply).body as { status?: unknown; message?: Message } | undefined;
  check(body && typeof body === 'object', { expected, actual: describeReply(await reply) });
  return body;
}

function startClient(ctx: TestContext, fake: ScriptedServer, extra: Record<string, unknown> = {}) {
  return startLessonClient<Message>(ctx, 'startCometClient', { baseUrl: fake.url, retryMs: RETRY_MS, maxRetryMs: MAX_RETRY_MS, ...extra });
}

function nextPoll(ctx: TestContext, fake: ScriptedServer, after: string, withinMs?: number): Promise<Exchange> {
  return expectRequest(ctx, fake, { method: 'GET', path: '/poll', after, ...(withinMs ? { withinMs } : {}) });
}

/** Fails the poll with a 500 and returns the delay of the pause the client then starts. */
async function pauseAfter(ctx: TestContext, timers: TimerWatch, poll: Exchange, which: string): Promise<unknown> {
  poll.respond(500, { error: 'the server failed' });
  ctx.step(`waiting for your client's pause (a setTimeout) after ${which}`);
  const pause = await timers.next(ANSWER_LIMIT_MS);
  check(pause, { expected: `a pause (setTimeout) after ${which}`, actual: 'your client started no timer' });
  return pause.ms;
}

export const grader: Grader = {
  lesson: '03-timeouts',
  tests: [
    {
      id: 'times-out',
      title: 'server: a held poll ends with { status: "timeout" } after holdMs',
      look: 'server.ts TODO 1: when you hold a poll, start a timer of holdMs that answers it { status: "timeout" }.',
      async run(ctx) {
        const { url } = await serve(ctx);
        const [poll] = await holdPolls(ctx, url, 1);
        const reply = await replyWithin(ctx, poll!, HOLD_MS + ANSWER_LIMIT_MS, `after holdMs (${HOLD_MS} ms), with nothing posted`);
        check(statusOf(reply) === 'timeout', {
          expected: 'the answer { "status": "timeout" }',
          actual: describeReply(reply),
        });
        check(reply.ms >= HOLD_MS - 10, {
          expected: `the timeout after holdMs (${HOLD_MS} ms)`,
          actual: `it came after ${Math.round(reply.ms)} ms: use the holdMs option`,
        });
      },
    },
    {
      id: 'default-hold',
      title: 'server: without a holdMs option a poll is held 25 seconds (the default), and its timer ends with it',
      look: 'server.ts TODO 1: the hold timer is setTimeout(..., holdMs), with the holdMs of createApp({ holdMs = DEFAULT_HOLD_MS } = {}) as the starter has it; setTimeout(f, undefined) fires at once. TODO 3: forget() clears that timer.',
      async run(ctx) {
        const timers = watchTimers(ctx);
        const { url } = await serveLesson(ctx);
        const [poll] = await holdPolls(ctx, url, 1);
        const hold = timers.all[0];
        check(hold?.ms === DEFAULT_HOLD_MS && hold.state === 'pending', {
          expected: `the poll held with a timer of ${DEFAULT_HOLD_MS} ms (DEFAULT_HOLD_MS) when createApp() gets no holdMs`,
          actual: hold ? `your server's hold timer is of ${showDelay(hold.ms)} ms${hold.state === 'fired' ? ', and it has fired already' : ''}` : 'your server started no timer for the held poll',
        });
        ctx.step('aborting the held poll');
        poll!.abort();
        await expectNothingHeld(ctx, url, timers, "once the held poll's client left", "server.ts: res.on('close') forgets a poll whose client left; forget() clears its timer and removes it from the list.");
      },
    },
    {
      id: 'message-answer',
      title: 'server: a message answers the held polls with { status: "message", message }; they and their timers are forgotten',
      look: 'server.ts TODO 3 and 4, forget() and answer(): forget the poll first (clear its timer, remove it from the list), then write the answer.',
      async run(ctx) {
        const timers = watchTimers(ctx);
        const { url } = await serve(ctx, LONG_HOLD_MS);
        const polls = await holdPolls(ctx, url, 2);
        const stored = await postMessage<Message>(ctx, url, 'news');
        for (const poll of polls) {
          const answer = await answerOf(ctx, replyWithin(ctx, poll, ANSWER_LIMIT_MS, 'once a message is posted'), '{ "status": "message", "message": {...} }');
          check(answer.status === 'message' && answer.message?.id === stored.id && answer.message.text === 'news', {
            expected: `{ "status": "message", "message": ${show(stored)} }`,
            actual: show(answer),
          });
        }
        await expectNothingHeld(ctx, url, timers, 'once both polls were answered', "server.ts TODO 3, forget(): clear the poll's timer (clearTimeout) and remove it from the list.");
      },
    },
    {
      id: 'no-write-after-answer',
      title: 'server: a poll answered by a message is not answered again when its timer runs out',
      look: 'server.ts TODO 3 and 4: answering a poll must cancel its timer (clearTimeout) — or check res.writableEnded before writing. A second res.json() on an answered response throws.',
      async run(ctx) {
        // A hold long enough that the message, not the timer, answers the first poll, even on a
        // busy machine.
        const holdMs = 1000;
        const { url } = await serve(ctx, holdMs);
        const [answered] = await holdPolls(ctx, url, 1);
        await postMessage(ctx, url, 'before the timeout');
        const first = await replyWithin(ctx, answered!, ANSWER_LIMIT_MS, 'once a message is posted');
        check(statusOf(first) === 'message', { expected: 'the first poll answered by the message', actual: describeReply(first) });
        // A second poll, held after the first was answered, times out after holdMs. The
        // first poll's timer started earlier, so by then it has run out too: if it was
        // left running, it has tried to answer the first poll again.
        const [later] = await holdPolls(ctx, url, 1);
        const timeout = await replyWithin(ctx, later!, holdMs + ANSWER_LIMIT_MS, `after holdMs (${holdMs} ms)`);
        check(statusOf(timeout) === 'timeout', { expected: 'the second poll to time out', actual: describeReply(timeout) });
        ctx.step('checking the server still answers');
        await waitingCount(url);
      },
    },
    {
      id: 'forgets-gone-clients',
      title: 'server: a poll whose client went away is forgotten at once',
      look: "server.ts TODO 2 and 3: listen to res.on('close') when you hold a poll; if !res.writableFinished the client left: clear its timer and remove it from the list.",
      async run(ctx) {
        const { url } = await serve(ctx, LONG_HOLD_MS);
        const polls = await holdPolls(ctx, url, 20);
        ctx.step('aborting all 20 held polls');
        polls.forEach((poll) => poll.abort());
        await expectWaiting(ctx, url, 0, {
          expected: '{ "waiting": 0 } soon after all 20 clients aborted their polls',
          look: "server.ts TODO 2: res.on('close', ...) forgets a poll whose client left (its response was not finished).",
        });
      },
    },
    {
      id: 'survives-vanishing',
      title: 'server: clients vanishing while a message goes out cost nothing: no crash, the others receive it',
      look: 'server.ts TODO 4: never write to a response whose client has gone; check res.destroyed / res.writableEnded, or remove it on close.',
      async run(ctx) {
        const { url } = await serve(ctx, LONG_HOLD_MS);
        const polls = await holdPolls(ctx, url, 20);
        const leaving = polls.filter((_, i) => i % 2 === 0);
        const staying = polls.filter((_, i) => i % 2 === 1);
        leaving.forEach((poll) => poll.abort());
        await postMessage(ctx, url, 'to whoever is left');
        for (const poll of staying) {
          const answer = await answerOf(ctx, replyWithin(ctx, poll, ANSWER_LIMIT_MS, 'once a message is posted'), '{ "status": "message", ... }');
          check(answer.status === 'message', { expected: 'status "message"', actual: show(answer) });
        }
        await expectWaiting(ctx, url, 0, {
          expected: '{ "waiting": 0 } after the message, with 10 clients gone and 10 answered',
          look: 'server.ts: both answered and departed polls leave the list.',
        });
      },
    },
    {
      id: 'shutdown-cancels',
      title: 'server: shutdown() answers every held poll 200 { status: "cancelled" }, and later polls too, and leaves nothing held',
      look: 'server.ts TODO 5 and 6: shutdown() answers every held poll { status: "cancelled" } and makes GET /poll answer that at once from then on.',
      async run(ctx) {
        const timers = watchTimers(ctx);
        const { url, app } = await serve(ctx, LONG_HOLD_MS);
        check(typeof app.shutdown === 'function', {
          expected: 'the app returned by createApp() to have a shutdown() method',
          actual: `app.shutdown is ${typeof app.shutdown}`,
          look: 'server.ts: return Object.assign(app, { shutdown() { ... } }).',
        });
        const polls = await holdPolls(ctx, url, 3);
        ctx.step('calling app.shutdown()');
        (app.shutdown as () => void)();
        for (const poll of polls) {
          const reply = await replyWithin(ctx, poll, ANSWER_LIMIT_MS, 'after shutdown()');
          check(statusOf(reply) === 'cancelled', { expected: '{ "status": "cancelled" }', actual: describeReply(reply) });
        }
        ctx.step('polling once more after shutdown()');
        const late = await call(url, 'GET', '/poll', { withinMs: PROMPT_MS * 2 });
        check(late.status === 200 && statusOf(late) === 'cancelled', {
          expected: 'a poll after shutdown() answered at once with 200 and { "status": "cancelled" }, exactly as the held ones',
          actual: describeReply(late),
          look: 'server.ts GET /poll: once shutting down, answer res.json({ status: "cancelled" }) — a 200, as for the held polls — instead of holding.',
        });
        await expectNothingHeld(ctx, url, timers, 'after shutdown()', 'server.ts: shutdown() answers every poll through answer(), which forgets it and clears its timer.');
      },
    },
    {
      id: 'no-store',
      title: 'server: every answer carries Cache-Control: no-store',
      look: 'server.ts TODO 7: the noStore middleware sets res.set("Cache-Control", "no-store") on every response.',
      async run(ctx) {
        const { url } = await serve(ctx, LONG_HOLD_MS);
        // Only the held poll's answer to a message and plain calls: this test needs neither the
        // hold timer nor shutdown, so it fails only for the header.
        const [poll] = await holdPolls(ctx, url, 1);
        const posted = await call(url, 'POST', '/messages', { json: { text: 'cache me not' } });
        const answered = await replyWithin(ctx, poll!, ANSWER_LIMIT_MS, 'once a message is posted');
        const stats = await call(url, 'GET', '/stats');
        const missing = await call(url, 'GET', '/no-such-route');
        for (const [route, reply] of [['GET /poll', answered], ['POST /messages', posted], ['GET /stats', stats], ['GET /no-such-route (404)', missing]] as const) {
          const header = reply.headers.get('cache-control') ?? '';
          check(/\bno-store\b/i.test(header), {
            expected: `${route} answered with Cache-Control: no-store (a cached poll answer would be stale news)`,
            actual: header ? `Cache-Control: ${header}` : 'no Cache-Control header',
          });
        }
      },
    },
    {
      id: 'rejects-bad-input',
      title: 'server: bad input gets 400 and a JSON error, answers no held poll, stores nothing and uses no id; the good post after it leaves no poll behind',
      look: 'server.ts POST /messages (given): check the body first and answer 400; only a good message takes an id and is sent to the held polls.',
      async run(ctx) {
        const timers = watchTimers(ctx);
        const { url } = await serve(ctx, LONG_HOLD_MS);
        const reply = await checkRefusalsWithHeldPoll(ctx, url, MAX_TEXT_LENGTH);
        check(statusOf(reply) === 'message', { expected: 'the held poll answered { "status": "message", ... } by the good post', actual: describeReply(reply) });
        // The answered poll leaves nothing behind either.
        await expectNothingHeld(ctx, url, timers, 'once the held poll was answered', 'server.ts TODO 3, forget(): clearTimeout(poll.timer) and remove the poll from `waiting`.');
      },
    },
    {
      id: 'apps-are-separate',
      title: 'server: two apps made by createApp() share nothing: not the held polls, the messages, the ids, nor a shutdown',
      look: 'server.ts TODO 5: the shuttingDown flag, like the waiting set and the messages, lives inside createApp(), not at the top of the file.',
      async run(ctx) {
        await checkAppsAreSeparate(ctx, () => serve(ctx, LONG_HOLD_MS));
        ctx.step('shutting down one app while the other holds a poll');
        const closing = await serve(ctx, LONG_HOLD_MS);
        const open = await serve(ctx, LONG_HOLD_MS);
        const [held] = await holdPolls(ctx, open.url, 1);
        (closing.app.shutdown as () => void)?.();
        const late = await call(closing.url, 'GET', '/poll', { withinMs: PROMPT_MS * 2 });
        check(statusOf(late) === 'cancelled', { expected: 'a poll to the app that was shut down answered { "status": "cancelled" }', actual: describeReply(late), look: 'server.ts: shutdown() sets shuttingDown, and GET /poll checks it first.' });
        const still = await waitingCount(open.url);
        check(still === 1 && !held!.settled(), {
          expected: 'the other app, not shut down, still holding its poll',
          actual: `its /stats says { "waiting": ${still} }${held!.settled() ? ' and its poll was answered' : ''}: the apps share the shuttingDown flag or the waiting list`,
          look: 'server.ts: `let shuttingDown = false` belongs inside createApp(), with the waiting set.',
        });
        ctx.step('a new poll to the app that was not shut down');
        await holdPolls(ctx, open.url, 1, { total: 2 });
      },
    },
    {
      id: 'client-repolls-after-timeout',
      title: 'client: after a timeout answer, asks again at once; a timeout is not an error',
      look: 'client.ts TODO 8 and 11: { status: "timeout" } means nothing happened: no onError, no pause (pause only in the catch), just ask again.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        // A long retryMs: a client that pauses after a timeout shows it at once.
        const { seen } = await startClient(ctx, fake, { retryMs: LONG_RETRY_MS, maxRetryMs: LONG_RETRY_MS });
        let previous = await nextPoll(ctx, fake, 'after startCometClient()');
        for (const round of [1, 2]) {
          previous.respond(200, { status: 'timeout' });
          const answeredAt = performance.now();
          const next = await nextPoll(ctx, fake, `after timeout number ${round}`);
          const gap = Math.round(next.arrivedAt - answeredAt);
          check(gap <= PROMPT_MS, {
            expected: `the next poll at once (within ${PROMPT_MS} ms) after a timeout`,
            actual: `it came ${gap} ms later (retryMs was ${LONG_RETRY_MS}: a timeout is no failure, so no pause)`,
          });
          previous = next;
        }
        check(seen.errors.length === 0, {
          expected: 'no onError call for a timeout: it is the normal end of a quiet poll',
          actual: `onError was called with ${show(seen.errors.map(String))}`,
        });
        check(seen.messages.length === 0, { expected: 'nothing delivered for a timeout', actual: show(seen.messages) });
      },
    },
    {
      id: 'client-delivers',
      title: 'client: delivers the message of each { status: "message" } answer, once, in order',
      look: 'client.ts TODO 8: on { status: "message" } call onMessage(answer.message).',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const { seen } = await startClient(ctx, fake);
        (await nextPoll(ctx, fake, 'after startCometClient()')).respond(200, { status: 'message', message: message(1) });
        (await nextPoll(ctx, fake, 'after message 1')).respond(200, { status: 'timeout' });
        (await nextPoll(ctx, fake, 'after a timeout')).respond(200, { status: 'message', message: message(2) });
        await nextPoll(ctx, fake, 'after message 2');
        check(show(seen.messages.map((m) => m?.id)) === '[1,2]', {
          expected: 'onMessage called with ids [1,2]',
          actual: `onMessage was called with ${show(seen.messages)}`,
        });
      },
    },
    {
      id: 'client-backs-off',
      title: 'client: after failures in a row it waits longer each time (doubling, capped), and starts short again after a success',
      look: 'client.ts TODO 9 and 11: count the failures in a row; the pause after the n-th is min(retryMs × 2^(n − 1), maxRetryMs): retryMs, 2×, 4×, … up to the cap. Never give up.',
      timeoutMs: 8000,
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const timers = watchTimers(ctx);
        const { seen } = await startClient(ctx, fake);
        let poll = await nextPoll(ctx, fake, 'after startCometClient()');
        const expectedPauses = [40, 80, 160, 320, 320];
        const pauses: number[] = [];
        const asked: unknown[] = [];
        for (const [index, expected] of expectedPauses.entries()) {
          const failedAt = performance.now();
          asked.push(await pauseAfter(ctx, timers, poll, `failure number ${index + 1} in a row`));
          check(asked[index] === expected, {
            expected: `pauses of exactly ${show(expectedPauses)} ms after failures 1 to 5 (retryMs ${RETRY_MS}, doubling, maxRetryMs ${MAX_RETRY_MS})`,
            actual: `your client's timers: ${showDelay(asked)} ms`,
          });
          poll = await nextPoll(ctx, fake, `after failure number ${index + 1} in a row`, expected + ANSWER_LIMIT_MS);
          const pause = Math.round(poll.arrivedAt - failedAt);
          pauses.push(pause);
          check(pause >= expected - 5 && pause <= expected + PAUSE_SLACK_MS, {
            expected: `pauses of about ${show(expectedPauses)} ms after failures 1 to 5 (retryMs ${RETRY_MS}, maxRetryMs ${MAX_RETRY_MS})`,
            actual: `pauses of ${show(pauses)} ms`,
          });
        }
        check(seen.errors.length === expectedPauses.length, {
          expected: `onError called once per failure (${expectedPauses.length} times)`,
          actual: `${seen.errors.length} times`,
        });
        // Any answer that is not a failure ends the run of failures: a message, and a timeout too.
        for (const good of [{ status: 'message', message: message(1) }, { status: 'timeout' }]) {
          ctx.step(`answering ${show(good)}, then failing once more`);
          poll.respond(200, good);
          const pause = await pauseAfter(ctx, timers, await nextPoll(ctx, fake, `after the answer ${show(good)}`), `a failure that follows ${show(good)}`);
          check(pause === RETRY_MS, {
            expected: `a pause of retryMs (${RETRY_MS} ms) for the first failure after the answer ${show(good)}: every good answer resets the failure count`,
            actual: `your client paused ${showDelay(pause)} ms`,
            look: 'client.ts TODO 10: set failuresInARow = 0 as soon as a poll succeeds — whatever its status, a timeout included.',
          });
          poll = await nextPoll(ctx, fake, `after the pause that follows ${show(good)}`, RETRY_MS + ANSWER_LIMIT_MS);
          // Five failures again, so the next round starts from the cap.
          for (let n = 0; n < expectedPauses.length - 1 && good.status === 'message'; n++) {
            await pauseAfter(ctx, timers, poll, 'another failure');
            poll = await nextPoll(ctx, fake, 'after another failure', MAX_RETRY_MS + ANSWER_LIMIT_MS);
          }
        }
        ctx.step('a client started without onError (it is optional) meets a failure');
        await startBareClient(ctx, 'startCometClient', { baseUrl: fake.url, retryMs: RETRY_MS, onMessage: () => undefined });
        (await nextPoll(ctx, fake, 'from a client without onError')).respond(500, { error: 'the server failed' });
        await nextPoll(ctx, fake, 'after a failure, from a client without onError (onError is optional: call it as onError?.(error))');
      },
    },
    {
      id: 'client-stops-on-cancelled',
      title: 'client: on { status: "cancelled" } it calls onCancelled and asks no more',
      look: 'client.ts TODO 8: on { status: "cancelled" } set stopped, call onCancelled(), and leave the loop.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        let cancelled = 0;
        await startClient(ctx, fake, { onCancelled: () => void cancelled++ });
        (await nextPoll(ctx, fake, 'after startCometClient()')).respond(200, { status: 'cancelled' });
        const after = await fake.next(PROMPT_MS * 2);
        check(!after, {
          expected: 'no request after the server said "cancelled" (it is shutting down)',
          actual: `your client sent ${after?.method} ${after?.path}`,
        });
        check(cancelled === 1, { expected: 'onCancelled called once', actual: `called ${cancelled} times` });
      },
    },
    {
      id: 'client-stop-anytime',
      title: 'client: stop() works at any moment — during a held poll and during a pause',
      look: 'client.ts TODO 11: stop() and pause() are given — wait with the given pause(backOff()), which stop() can end, not with a timer of your own; and count and report a failure only when not stopped.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const timers = watchTimers(ctx);
        ctx.step('stopping while a poll is held');
        const first = await startClient(ctx, fake);
        const held = await nextPoll(ctx, fake, 'after startCometClient()');
        const errorsBefore = first.seen.errors.length;
        first.poller.stop();
        const aborted = await within(held.abandoned.then(() => true), ANSWER_LIMIT_MS, false);
        check(aborted, {
          expected: 'stop() to abort the held poll',
          actual: `the poll was still open ${ANSWER_LIMIT_MS} ms after stop()`,
        });
        checkNoErrorSince(first.seen, errorsBefore, 'client.ts: in the catch, return quietly when stopped, before counting a failure or calling onError.');

        ctx.step('stopping during the pause after a failure');
        const second = await startClient(ctx, fake, { retryMs: LONG_RETRY_MS, maxRetryMs: LONG_RETRY_MS });
        // The pause begins with its timer: that is the moment to stop.
        await pauseAfter(ctx, timers, await nextPoll(ctx, fake, 'from a second client'), 'a failed poll');
        second.poller.stop();
        second.poller.stop();
        await checkNoTimerLeft(ctx, timers, 'after stop() during the pause');
        const late = await fake.next(400);
        check(!late, {
          expected: 'no request after stop(), even when stop() came during the pause after a failure',
          actual: `your client sent ${late?.method} ${late?.path} after stop()`,
        });
      },
    },
    {
      id: 'client-default-backoff',
      title: 'client: without retryMs and maxRetryMs it pauses 500 ms, then doubles up to 30 s (the defaults)',
      look: 'client.ts TODO 9: the defaults are given where the options are read (retryMs = 500, maxRetryMs = 30_000); backOff() must use those variables, not options.retryMs. Math.min(x, undefined) is NaN, and setTimeout(f, NaN) fires at once.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        // The client's timers fire at once here (their delays are still recorded): eight
        // pauses that add up to over a minute take milliseconds.
        const timers = watchTimers(ctx, { fastForward: true });
        await startLessonClient<Message>(ctx, 'startCometClient', { baseUrl: fake.url });
        let poll = await nextPoll(ctx, fake, 'after startCometClient() without retryMs or maxRetryMs');
        const asked: unknown[] = [];
        for (const [index] of DEFAULT_PAUSES.entries()) {
          asked.push(await pauseAfter(ctx, timers, poll, `failure number ${index + 1} in a row`));
          poll = await nextPoll(ctx, fake, `after failure number ${index + 1} in a row`);
        }
        check(JSON.stringify(asked) === JSON.stringify(DEFAULT_PAUSES), {
          expected: `pauses of ${show(DEFAULT_PAUSES)} ms after failures 1 to ${DEFAULT_PAUSES.length} with the default retryMs (500) and maxRetryMs (30,000)`,
          actual: `your client's timers: ${showDelay(asked)} ms`,
        });
      },
    },
  ],
};
