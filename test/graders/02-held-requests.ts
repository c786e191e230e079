/**
 * Grader for lesson 02 (held requests). The server is graded over HTTP; `GET /stats` tells
 * the grader when a poll is really being held, so no test has to guess with a sleep. The
 * client is graded against a scripted server that holds or answers each poll on cue.
 */
import { check, show } from '../../shared/grading/failure.ts';
import { describeReply, outcomeWithin, type PendingCall } from '../../shared/grading/http-client.ts';
import { checkNoErrorSince, serveLesson, startBareClient, startLessonClient } from '../../shared/grading/lesson-code.ts';
import { ANSWER_LIMIT_MS, checkAppsAreSeparate, checkRefusalsWithHeldPoll, holdPolls, postMessage, replyWithin, waitingCount } from '../../shared/grading/polls.ts';
import { expectRequest, scriptedServer, type Exchange, type ScriptedServer } from '../../shared/grading/scripted-server.ts';
import { checkNoTimerLeft, showDelay, watchTimers } from '../../shared/grading/timers.ts';
import type { Grader, TestContext } from '../../shared/grading/types.ts';

interface Message {
  id: number;
  text: string;
  time: number;
}

const MAX_TEXT_LENGTH = 500;
/** "At once": a poll answered, or a client asking again, within this much is prompt. */
const PROMPT_MS = 250;
/** The client's wait after a failed poll, in these tests. */
const RETRY_MS = 60;
/** A retryMs so long that a pause where there should be none cannot hide in the tests' margins. */
const LONG_RETRY_MS = 10_000;
/** retryMs when the option is left out, as the lesson text states. */
const DEFAULT_RETRY_MS = 1000;

const message = (id: number): Message => ({ id, text: `message ${id}`, time: 1_700_000_000_000 + id });

/** The message a held poll was answered with; fails if it is not answered in time or not `{ message }`. */
async function answerOf(ctx: TestContext, poll: PendingCall, withinMs = ANSWER_LIMIT_MS): Promise<Message> {
  const reply = await replyWithin(ctx, poll, withinMs, 'once a message is posted');
  const answered = (reply.body as { message?: Message } | undefined)?.message;
  check(answered && typeof answered === 'object', {
    expected: 'the held poll answered with { "message": {...} }',
    actual: describeReply(reply),
  });
  return answered;
}

const post = (ctx: TestContext, url: string, text: string) => postMessage<Message>(ctx, url, text);

function startClient(ctx: TestContext, fake: ScriptedServer, extra: Record<string, unknown> = { retryMs: RETRY_MS }) {
  return startLessonClient<Message>(ctx, 'startLongPolling', { baseUrl: fake.url, ...extra });
}

/**
 * Starts a client with `options`, fails its first poll with a 500, and returns it with the
 * delay of the pause it then starts (its next timer: the lesson code's timers are watched).
 */
async function clientAfterFailure(ctx: TestContext, options: Record<string, unknown>) {
  const fake = await scriptedServer(ctx);
  const timers = watchTimers(ctx);
  const client = await startClient(ctx, fake, options);
  (await nextPoll(ctx, fake, `after startLongPolling(${show(options)})`)).respond(500, { error: 'the server failed' });
  const failedAt = performance.now();
  ctx.step('waiting for your client to start its pause (a setTimeout) after the failure');
  const pause = await timers.next(ANSWER_LIMIT_MS);
  check(pause, {
    expected: 'a pause after the failed poll: a setTimeout of retryMs before the next poll',
    actual: 'your client started no timer after the failure',
  });
  return { ...client, fake, timers, failedAt, pauseMs: pause.ms };
}

function nextPoll(ctx: TestContext, fake: ScriptedServer, after: string, withinMs?: number): Promise<Exchange> {
  return expectRequest(ctx, fake, { method: 'GET', path: '/poll', after, ...(withinMs ? { withinMs } : {}) });
}

export const grader: Grader = {
  lesson: '02-held-requests',
  tests: [
    {
      id: 'poll-is-held',
      title: 'server: GET /poll is held open while nothing is posted, and /stats counts it',
      look: 'server.ts TODO 2 and 5: GET /poll keeps its `res` in the waiting list and answers nothing; GET /stats answers { waiting: <how many are held> }.',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        const [poll] = await holdPolls(ctx, url, 1, { heldLook: 'server.ts TODO 2: GET /poll only keeps its `res` in the waiting list; no answer there, not even an old message or an empty one.' });
        const text = 'worth the wait';
        await post(ctx, url, text);
        const answered = await answerOf(ctx, poll!);
        check(answered.text === text, {
          expected: `the held poll answered with the message posted after it, "${text}"`,
          actual: `it was answered with ${show(answered)}`,
        });
      },
    },
    {
      id: 'post-answers-poll',
      title: 'server: posting a message answers the held poll with { message }',
      look: 'server.ts TODO 3: in POST /messages, answer each held `res` with res.json({ message }).',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        const [poll] = await holdPolls(ctx, url, 1);
        const stored = await post(ctx, url, 'hello, held');
        const answered = await answerOf(ctx, poll!);
        check(answered.id === stored.id && answered.text === 'hello, held' && answered.time === stored.time, {
          expected: `the poll answered with the stored message ${show(stored)}`,
          actual: `it was answered with ${show(answered)}`,
        });
      },
    },
    {
      id: 'poster-acknowledged',
      title: 'server: the poster gets 201 and the stored message, whether or not anyone waits',
      look: 'server.ts TODO 4: end POST /messages with res.status(201).json(message), also when no poll is waiting.',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        const alone = await post(ctx, url, 'nobody listens');
        check(Number.isInteger(alone?.id) && alone.text === 'nobody listens' && typeof alone.time === 'number', {
          expected: 'the stored message { id, text, time } in the 201 answer',
          actual: show(alone),
        });
        const [poll] = await holdPolls(ctx, url, 1);
        const heard = await post(ctx, url, 'somebody listens');
        check(heard.id > alone.id, {
          expected: 'a larger id for the newer message',
          actual: `ids ${alone.id} then ${heard.id}`,
        });
        await answerOf(ctx, poll!);
      },
    },
    {
      id: 'answers-every-poll',
      title: 'server: every held poll receives the message, not only the first',
      look: 'server.ts TODO 3: loop over the whole waiting list and answer each response.',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        const polls = await holdPolls(ctx, url, 3);
        await post(ctx, url, 'to everyone');
        ctx.step('waiting for all three held polls to be answered');
        const outcomes = await Promise.all(polls.map((poll) => outcomeWithin(poll, ANSWER_LIMIT_MS)));
        const delivered = outcomes.filter(
          (o) => o?.kind === 'reply' && (o.reply.body as { message?: Message })?.message?.text === 'to everyone',
        ).length;
        check(delivered === 3, {
          expected: 'all 3 held polls answered with the message',
          actual: `${delivered} of 3 were answered with it within ${ANSWER_LIMIT_MS} ms`,
        });
      },
    },
    {
      id: 'prompt-delivery',
      title: 'server: a held poll is answered as soon as the message is posted (not on a timer)',
      look: 'server.ts TODO 3: answer the held polls inside the POST /messages handler, before answering the poster — not from a setInterval that checks for news.',
      timeoutMs: 8000,
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        // Three rounds back to back: a server that checks on a timer answers the first
        // round whenever its timer happens to fire, but each later post comes right after
        // a timer fired, so it waits nearly a whole period.
        for (const round of [1, 2, 3]) {
          const [poll] = await holdPolls(ctx, url, 1);
          await post(ctx, url, `round ${round}`);
          const acknowledgedAt = performance.now();
          const outcome = await outcomeWithin(poll!, ANSWER_LIMIT_MS * 2);
          const lag = Math.round(performance.now() - acknowledgedAt);
          check(outcome && lag <= PROMPT_MS, {
            expected: `the held poll answered at once (within ${PROMPT_MS} ms of the poster's 201)`,
            actual: outcome
              ? `in round ${round} it was answered ${lag} ms after the poster's 201`
              : `in round ${round} it was still open ${ANSWER_LIMIT_MS * 2} ms after the post`,
          });
        }
      },
    },
    {
      id: 'waits-for-next',
      title: 'server: a poll that comes after a message waits for the next one (no replay)',
      look: 'server.ts TODO 2: GET /poll never answers with a message that was posted before it; it waits for the next one.',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        await post(ctx, url, 'old news');
        const [poll] = await holdPolls(ctx, url, 1, { heldLook: 'server.ts TODO 2: a poll waits for the next message; it is never answered with one posted before it.' });
        await post(ctx, url, 'fresh news');
        const answered = await answerOf(ctx, poll!);
        check(answered.text === 'fresh news', {
          expected: 'the poll answered with "fresh news", the first message posted after it',
          actual: `it was answered with ${show(answered)}`,
        });
      },
    },
    {
      id: 'forgets-answered',
      title: 'server: answered polls are forgotten (/stats counts only the held ones)',
      look: 'server.ts TODO 3: empty the waiting list when you answer it (waiting.splice(0)): a response can be answered only once.',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        const polls = await holdPolls(ctx, url, 2);
        await post(ctx, url, 'first');
        for (const poll of polls) await answerOf(ctx, poll);
        ctx.step('reading /stats after the answers');
        const left = await waitingCount(url);
        check(left === 0, {
          expected: '{ "waiting": 0 } once both held polls were answered',
          actual: `{ "waiting": ${left} }`,
        });
        await post(ctx, url, 'second');
      },
    },
    {
      id: 'rejects-bad-input',
      title: 'server: bad input gets 400 and a JSON error, answers no held poll, stores nothing and uses no id',
      look: 'server.ts POST /messages (the check is given): answer 400 before anything else happens; only a good message takes an id, is stored and is sent to the held polls (TODO 3).',
      async run(ctx) {
        const { url } = await serveLesson(ctx);
        const reply = await checkRefusalsWithHeldPoll(ctx, url, MAX_TEXT_LENGTH);
        const answered = (reply.body as { message?: Message } | undefined)?.message;
        check(answered?.text === 'the first good one', { expected: 'the poll answered with { "message": ... "the first good one" }', actual: describeReply(reply) });
      },
    },
    {
      id: 'apps-are-separate',
      title: 'server: two apps made by createApp() share nothing: not the held polls, not the messages, not the ids',
      look: 'server.ts TODO 1: the waiting list (like the messages) lives inside createApp(), not at the top of the file.',
      async run(ctx) {
        await checkAppsAreSeparate(ctx, () => serveLesson(ctx));
      },
    },
    {
      id: 'client-repolls-at-once',
      title: 'client: asks again at once after every answer, one poll at a time',
      look: 'client.ts TODO 6: loop — fetch /poll, deliver, fetch /poll again with no pause (the server does the waiting); keep a single loop.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        // A long retryMs: a client that also pauses after a good answer shows it at once.
        await startClient(ctx, fake, { retryMs: LONG_RETRY_MS });
        let previous = await nextPoll(ctx, fake, 'after startLongPolling()');
        for (const id of [1, 2]) {
          previous.respond(200, { message: message(id) });
          const answeredAt = performance.now();
          const next = await nextPoll(ctx, fake, `after the answer with message ${id}`);
          const gap = Math.round(next.arrivedAt - answeredAt);
          check(gap <= PROMPT_MS, {
            expected: `the next GET /poll at once (within ${PROMPT_MS} ms) after an answer`,
            actual: `it came ${gap} ms after the answer (retryMs was ${LONG_RETRY_MS}: wait retryMs only after a failure)`,
          });
          ctx.step('checking that only one poll is open');
          const extra = await fake.next(PROMPT_MS);
          check(!extra, {
            expected: 'one open poll at a time',
            actual: `a second ${extra?.method} ${extra?.path} came while the first was still open`,
            look: 'client.ts TODO 6: ask again in exactly one place, once per answer; do not start another loop.',
          });
          previous = next;
        }
      },
    },
    {
      id: 'client-delivers-each-once',
      title: 'client: delivers every message it is sent, once, in order',
      look: 'client.ts TODO 6: call onMessage(answer.message) once per answer.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const { seen } = await startClient(ctx, fake);
        for (const id of [1, 2, 3, 4]) {
          (await nextPoll(ctx, fake, id === 1 ? 'after startLongPolling()' : `after message ${id - 1}`)).respond(200, { message: message(id) });
        }
        // The next poll is sent once the last answer was handled.
        await nextPoll(ctx, fake, 'after message 4');
        const delivered = seen.messages.map((m) => m?.id);
        check(show(delivered) === show([1, 2, 3, 4]), {
          expected: 'onMessage called with ids [1,2,3,4], once each',
          actual: `onMessage was called with ids ${show(delivered)}`,
        });
        check(seen.messages.every((m) => m.text === `message ${m.id}`), {
          expected: 'the message objects as the server sent them (answer.message)',
          actual: show(seen.messages),
        });
      },
    },
    {
      id: 'client-stop-aborts',
      title: 'client: stop() aborts the held poll; no request and no delivery after it',
      look: 'client.ts TODO 8 and 9: keep the AbortController of the poll in flight and call abort() in stop(); check a stopped flag before delivering or asking again.',
      async run(ctx) {
        const fake = await scriptedServer(ctx);
        const { poller, seen } = await startClient(ctx, fake);
        const held = await nextPoll(ctx, fake, 'after startLongPolling()');
        const errorsBefore = seen.errors.length;
        poller.stop();
        ctx.step('waiting for the held poll to be aborted');
        const aborted = await Promise.race([held.abandoned.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), ANSWER_LIMIT_MS))]);
        check(aborted, {
          expected: 'stop() to close the held GET /poll (abort the fetch)',
          actual: `the poll was still open ${ANSWER_LIMIT_MS} ms after stop(); on a real server it would stay held until the next message`,
        });
        const after = await fake.next(PROMPT_MS);
        check(!after, {
          expected: 'no request after stop()',
          actual: `your client sent ${after?.method} ${after?.path} after stop()`,
        });
        check(seen.messages.length === 0, { expected: 'nothing delivered', actual: show(seen.messages) });
        checkNoErrorSince(seen, errorsBefore, 'client.ts: in the catch, return quietly when stopped, before calling onError.');
      },
    },
    {
      id: 'client-retries-after-error',
      title: 'client: a failed poll goes to onError, and the client asks again after retryMs',
      look: 'client.ts TODO 7: catch errors around the poll (and check response.ok), call onError, wait retryMs, then go on.',
      async run(ctx) {
        const { fake, seen, failedAt, pauseMs } = await clientAfterFailure(ctx, { retryMs: RETRY_MS });
        check(pauseMs === RETRY_MS, {
          expected: `a pause of exactly retryMs (${RETRY_MS} ms) after a failed poll`,
          actual: `your client started a timer of ${showDelay(pauseMs)} ms`,
        });
        const second = await nextPoll(ctx, fake, 'after an answer with status 500');
        const gap = Math.round(second.arrivedAt - failedAt);
        check(gap >= RETRY_MS - 5, {
          expected: `a pause of retryMs (${RETRY_MS} ms) after a failed poll`,
          actual: `the client asked again ${gap} ms after the failure: a server that is down would be hammered`,
        });
        check(gap <= RETRY_MS + 900, {
          expected: `a pause of retryMs (${RETRY_MS} ms) after a failed poll`,
          actual: `the client waited ${gap} ms: use the retryMs option`,
        });
        second.drop();
        (await nextPoll(ctx, fake, 'after a dropped connection')).respond(200, { message: message(1) });
        await nextPoll(ctx, fake, 'after a good answer');
        check(seen.errors.length >= 2, {
          expected: 'onError called for the 500 answer and for the dropped connection',
          actual: `onError was called ${seen.errors.length} time(s)`,
          look: 'client.ts: fetch does not throw for a 500; check response.ok and treat it as an error.',
        });
        check(show(seen.messages.map((m) => m?.id)) === '[1]', {
          expected: 'message 1 delivered after the failures',
          actual: `delivered ${show(seen.messages)}`,
        });
        ctx.step('a client started without onError (it is optional) meets a failure');
        await startBareClient(ctx, 'startLongPolling', { baseUrl: fake.url, retryMs: RETRY_MS, onMessage: () => undefined });
        (await nextPoll(ctx, fake, 'from a client without onError')).respond(500, { error: 'the server failed' });
        await nextPoll(ctx, fake, 'after a failure, from a client without onError (onError is optional: call it as onError?.(error))');
      },
    },
    {
      id: 'client-default-retry',
      title: 'client: without a retryMs option it waits 1000 ms after a failure (the default)',
      look: 'client.ts TODO 7: give retryMs its default where you read the options: `const { retryMs = 1000 } = options`. setTimeout(f, undefined) waits about 1 ms.',
      async run(ctx) {
        const { fake, pauseMs } = await clientAfterFailure(ctx, {});
        check(pauseMs === DEFAULT_RETRY_MS, {
          expected: `a pause of ${DEFAULT_RETRY_MS} ms (the default retryMs) after a failed poll, when retryMs is not given`,
          actual: `your client started a timer of ${showDelay(pauseMs)} ms: a server that is down would be asked again and again`,
        });
        const early = await fake.next(PROMPT_MS);
        check(!early, {
          expected: `no request during the ${DEFAULT_RETRY_MS} ms pause`,
          actual: `your client sent ${early?.method} ${early?.path} during the pause`,
        });
      },
    },
    {
      id: 'client-stop-during-pause',
      title: 'client: stop() during the pause after a failure ends it: no timer left, no request after it',
      look: 'client.ts TODO 9: stop() must end the pause too — clear its timer (keep a way to reach it, e.g. a wakeUp function) — and the loop must check the stopped flag when the pause ends.',
      async run(ctx) {
        const { fake, timers, poller, seen } = await clientAfterFailure(ctx, { retryMs: LONG_RETRY_MS });
        const errorsBefore = seen.errors.length;
        poller.stop();
        await checkNoTimerLeft(ctx, timers, 'after stop()');
        const late = await fake.next(PROMPT_MS);
        check(!late, {
          expected: 'no request after stop(), also when stop() came during the pause after a failure',
          actual: `your client sent ${late?.method} ${late?.path} after stop()`,
        });
        checkNoErrorSince(seen, errorsBefore);
      },
    },
  ],
};
