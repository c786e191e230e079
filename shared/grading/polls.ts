/**
 * Grading servers that hold requests: start polls, learn from the server's `GET /stats`
 * when they are really held (instead of sleeping and hoping), post messages, and wait for
 * a held poll's answer with a limit. Lessons 02 to 04 share this contract.
 *
 * @module
 */
import { badMessageBodies, checkRefusalsLeftNoTrace, checkRefusesEach } from './bad-input.ts';
import { check, fail, show } from './failure.ts';
import { call, describeReply, outcomeWithin, startCall, type Outcome, type PendingCall, type Reply } from './http-client.ts';
import { checkNoTimerLeft, type TimerWatch } from './timers.ts';
import type { TestContext } from './types.ts';
import { waitUntil } from './wait.ts';

/** How long a held poll may take to be answered once its message is posted. */
export const ANSWER_LIMIT_MS = 1000;

/** The waiting count in a /stats reply, or undefined when the reply is not `{ waiting: n }`. */
function waitingIn(reply: Reply): number | undefined {
  const waiting = (reply.body as { waiting?: unknown } | undefined)?.waiting;
  return reply.status === 200 && Number.isInteger(waiting) ? (waiting as number) : undefined;
}

const statsFailure = (reply: Reply) => ({
  expected: 'GET /stats to answer 200 and { "waiting": <number of held polls> }',
  actual: describeReply(reply),
  look: 'server.ts: GET /stats answers 200 with { "waiting": <how many polls are held now> }.',
});

/** `GET /stats`'s waiting count; fails the test with a clear message if /stats is not right. */
export async function waitingCount(url: string): Promise<number> {
  const reply = await call(url, 'GET', '/stats');
  const waiting = waitingIn(reply);
  check(waiting !== undefined, statsFailure(reply));
  return waiting;
}

/** Waits until /stats reports exactly `count` held polls; fails with `why` if it does not in time. */
export async function expectWaiting(ctx: TestContext, url: string, count: number, why: { expected: string; look: string }): Promise<void> {
  ctx.step(`waiting for /stats to report ${count} held polls`);
  const reached = await waitUntil(async () => ((await waitingCount(url)) === count ? true : undefined), { withinMs: ANSWER_LIMIT_MS });
  if (!reached) {
    fail({ expected: why.expected, actual: `after ${ANSWER_LIMIT_MS} ms /stats still reported { "waiting": ${await waitingCount(url)} }`, look: why.look });
  }
}

/** The server holds nothing `after` something: /stats back to 0, and every timer of its own cleared. */
export async function expectNothingHeld(ctx: TestContext, url: string, timers: TimerWatch, after: string, look: string): Promise<void> {
  await expectWaiting(ctx, url, 0, { expected: `{ "waiting": 0 } ${after}`, look });
  await checkNoTimerLeft(ctx, timers, after, look);
}

export function describeOutcome(outcome: Outcome): string {
  return outcome.kind === 'reply'
    ? `${describeReply(outcome.reply)} after ${Math.round(outcome.reply.ms)} ms`
    : `a broken connection after ${Math.round(outcome.ms)} ms`;
}

export interface HoldOptions {
  /** The poll's path and query (default `/poll`). */
  path?: string;
  /** Headers to send, e.g. an Authorization header. */
  headers?: Record<string, string>;
  /** The count /stats must reach: the polls held already plus these (default `count`). */
  total?: number;
  /** How long /stats may take to count them (default ANSWER_LIMIT_MS). */
  withinMs?: number;
  /** Where to look when a poll is answered instead of held (default: hold, do not answer). */
  heldLook?: string;
}

/**
 * Starts `count` polls on `path` and waits until the server reports them all held. Fails
 * when a poll is answered before anything was posted after it, or when /stats never counts
 * them. The polls are aborted when the test ends.
 */
export async function holdPolls(ctx: TestContext, url: string, count: number, options: HoldOptions = {}): Promise<PendingCall[]> {
  const { path = '/poll', headers = {}, total = count, withinMs = ANSWER_LIMIT_MS, heldLook } = options;
  ctx.step(`starting ${count} GET ${path} and waiting for /stats to count them`);
  const polls = Array.from({ length: count }, () => startCall(url, 'GET', path, { headers }));
  ctx.defer(() => polls.forEach((poll) => poll.abort()));
  const earlyAnswer = () => polls.map((poll) => poll.settled()).find((outcome) => outcome !== undefined);
  const state = await waitUntil(
    async () => {
      const early = earlyAnswer();
      if (early) return { early };
      const stats = await call(url, 'GET', '/stats', { withinMs });
      const waiting = waitingIn(stats);
      if (waiting === undefined) {
        // A poll answered at once is the bigger mistake; give its answer a moment to arrive.
        const answered = await Promise.race(polls.map((poll) => outcomeWithin(poll, 100)));
        if (answered) return { early: answered };
        fail(statsFailure(stats));
      }
      return waiting >= total ? { early: undefined } : undefined;
    },
    { withinMs },
  );
  if (state?.early) {
    const cancelled = state.early.kind === 'reply' && (state.early.reply.body as { status?: unknown } | undefined)?.status === 'cancelled';
    fail({
      expected: `GET ${path} to stay open (held) until a message is posted after it`,
      actual: `it was answered before any message was posted after it: ${describeOutcome(state.early)}`,
      look: cancelled
        ? 'server.ts: this app was never shut down, yet it answered "cancelled": the shuttingDown flag must belong to the app (inside createApp()), not to the file.'
        : (heldLook ?? `server.ts: GET ${path} must not answer when there is nothing new; keep its \`res\` in the waiting list instead.`),
    });
  }
  if (!state) {
    fail({
      expected: `GET /stats to report { "waiting": ${total} } while ${total} poll(s) are held`,
      actual: `after ${withinMs} ms it reported ${await waitingCount(url)}`,
      look: `server.ts: GET ${path} adds its \`res\` to the waiting list that GET /stats counts.`,
    });
  }
  return polls;
}

/**
 * Posts `text` to /messages and checks the 201 acknowledgement; returns the stored message.
 * `look` says where to look when it is not a 201 (by default: after the held polls).
 */
export async function postMessage<M>(ctx: TestContext, url: string, text: string, look = 'server.ts: after answering the held polls, answer the poster: 201 with the stored message.'): Promise<M> {
  ctx.step(`posting ${show(text, 40)}`);
  const reply = await call(url, 'POST', '/messages', { json: { text } });
  check(reply.status === 201, {
    expected: 'POST /messages to answer 201 with the stored message',
    actual: describeReply(reply),
    look,
  });
  return reply.body as M;
}

/**
 * Holds a poll on `pollPath`, posts every bad body, and checks each is refused with 400, the
 * poll stays held, and nothing is left behind (the first good post gets id 1). Returns the
 * held poll's reply to that good message, "the first good one".
 */
export async function checkRefusalsWithHeldPoll(ctx: TestContext, url: string, maxTextLength: number, pollPath = '/poll'): Promise<Reply> {
  const [poll] = await holdPolls(ctx, url, 1, { path: pollPath });
  await checkRefusesEach(ctx, url, '/messages', badMessageBodies(maxTextLength));
  const early = poll!.settled();
  check(!early, {
    expected: 'the held poll still open after only bad posts',
    actual: early ? `it was answered: ${describeOutcome(early)}` : '',
  });
  await checkRefusalsLeftNoTrace(ctx, url);
  return replyWithin(ctx, poll!, ANSWER_LIMIT_MS, 'once a good message is posted');
}

/**
 * Two apps made by createApp() in one process must share nothing: a poll held by the first is
 * not counted by the second, the second's first message gets id 1, and posting to the second
 * does not touch the first's polls — checked after the first app has a message of its own,
 * so that shared messages or ids show whatever ran before. `serve` builds and serves a new
 * app; `pollPathAfter(id)` is a poll that app holds once it has the message `id`.
 */
export async function checkAppsAreSeparate(
  ctx: TestContext,
  serve: () => Promise<{ url: string }>,
  pollPathAfter: (lastId: unknown) => string = () => '/poll',
): Promise<void> {
  const first = await serve();
  const second = await serve();
  // The first app has a message before the second gets one: shared messages or ids show.
  const before = await postMessage<{ id?: unknown }>(ctx, first.url, 'first message of the first app');
  const pollPath = pollPathAfter(before.id);
  const [held] = await holdPolls(ctx, first.url, 1, { path: pollPath });
  const look = 'server.ts: create the waiting list, the messages and any counter inside createApp(), not at the top of the file: every app needs its own.';
  ctx.step("reading the second app's /stats");
  const other = await waitingCount(second.url);
  check(other === 0, {
    expected: 'a second app, created in the same process, to count none of the first app\'s held polls: { "waiting": 0 }',
    actual: `{ "waiting": ${other} }: the two apps share one waiting list`,
    look,
  });
  const stored = await postMessage<{ id?: unknown }>(ctx, second.url, 'to the second app');
  check(stored.id === 1, { expected: "id 1 for the second app's first message", actual: `id ${show(stored.id)}: the two apps share their messages or their ids`, look });
  const still = await waitingCount(first.url);
  check(still === 1 && !held!.settled(), {
    expected: "the first app's poll still held after a post to the second app",
    actual: `the first app's /stats says { "waiting": ${still} }${held!.settled() ? ' and its poll was answered' : ''}`,
    look,
  });
  await postMessage(ctx, first.url, 'to the first app');
  await replyWithin(ctx, held!, ANSWER_LIMIT_MS, 'once a message is posted to its own app');
}

/** The 200 reply a held poll gets within `withinMs`; fails when it is late, broken or not 200. */
export async function replyWithin(ctx: TestContext, poll: PendingCall, withinMs: number, after: string): Promise<Reply> {
  ctx.step(`waiting for the held poll to be answered ${after}`);
  const outcome = await outcomeWithin(poll, withinMs);
  if (!outcome) {
    fail({
      expected: `the held ${poll.route} to be answered ${after}`,
      actual: `it was still open ${withinMs} ms later`,
    });
  }
  check(outcome.kind === 'reply' && outcome.reply.status === 200, {
    expected: `the held ${poll.route} answered with status 200 ${after}`,
    actual: describeOutcome(outcome),
  });
  return outcome.reply;
}
