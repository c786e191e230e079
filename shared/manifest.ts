/**
 * The one ordered list of lessons. The CLI, the graders, the workshop server, the site and
 * the meta-tests all read it; adding a lesson starts here.
 *
 * @module
 */

export interface Lesson {
  /** Position in the course, from 1. */
  readonly number: number;
  /** Folder name under `lessons/` and `solutions/`, also the grader's file name. */
  readonly slug: string;
  readonly title: string;
  /** One or two sentences: what the learner builds and why. */
  readonly summary: string;
  /** The files the learner edits, in the order to work on them. */
  readonly files: readonly string[];
  /** Progressive hints: the first nudges, the last nearly gives the answer. */
  readonly hints: readonly string[];
  /** Options the workshop server passes to the lesson's createApp(); a relative `file` is relative to the project. */
  readonly serve?: Readonly<Record<string, unknown>>;
  /** The lesson's own page, a folder inside the lesson (e.g. the chat's `public/`). */
  readonly page?: string;
  /** The live demo on the lesson's page: simulated clients running the lesson's own client code. */
  readonly demo?: Demo;
}

export interface Demo {
  /** The client's start function in client.ts. */
  readonly start: string;
  /** Options for it besides baseUrl, onMessage and onError. */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * How the timeline reads a poll's answer: `list` (all messages: new ones or empty),
   * `message` (one message), `status` (message, timeout, cancelled, gap).
   */
  readonly answers: 'list' | 'message' | 'status';
  /** The route the clients poll, as it appears in their requests. */
  readonly pollPath: string;
}

export const lessons: readonly Lesson[] = [
  {
    number: 1,
    slug: '01-naive-polling',
    title: 'Naive polling',
    summary:
      'A message board and a client that asks for everything every N milliseconds. It works, ' +
      'and it shows what polling costs: empty answers, and half an interval of delay on average.',
    files: ['server.ts', 'client.ts'],
    demo: { start: 'startPolling', options: { intervalMs: 500 }, answers: 'list', pollPath: '/messages' },
    hints: [
      'Start with the server: keep the messages in an array that lives inside createApp(), so every app starts empty.',
      'Validate before you store: the body must be an object whose `text` is a non-empty string of at most MAX_TEXT_LENGTH characters. Anything else gets res.status(400).json({ error: "..." }).',
      'In the client, schedule the next poll with setTimeout only after the current one has finished (successfully or not); setInterval can start a second request while the first is still waiting.',
      'The server sends every message every time. Remember the ids you have delivered (a Set, or the largest id so far) and call onMessage only for new ones.',
      'stop() must clear the pending timer and abort the request in flight (AbortController), and a response that arrives after stop() must not be delivered.',
    ],
  },
  {
    number: 2,
    slug: '02-held-requests',
    title: 'Held requests (long polling)',
    summary:
      'The server keeps each GET /poll open until the next message exists and then answers every ' +
      'waiting poll at once; the client asks again as soon as it gets an answer.',
    files: ['server.ts', 'client.ts'],
    demo: { start: 'startLongPolling', options: { retryMs: 1000 }, answers: 'message', pollPath: '/poll' },
    hints: [
      'A held request is just a response you have not answered yet. Keep the `res` objects of waiting polls in an array inside createApp().',
      'GET /poll should do nothing but remember its `res`: no res.json() there. GET /stats answers { waiting: <how many you remember> }.',
      'When a message is posted: answer every remembered poll with { message }, empty the array (splice(0) does both), then answer the poster with 201 and the message.',
      'Do not answer a new poll with an old message: a poll waits for the *next* message. Lesson 04 shows how a client catches up on what it missed.',
      'In the client, the loop is: fetch /poll, deliver the message, fetch /poll again at once. Wait retryMs only after an error. stop() aborts the fetch in flight with an AbortController.',
    ],
  },
  {
    number: 3,
    slug: '03-timeouts',
    title: 'Nobody waits forever (timeouts)',
    summary:
      'A held poll ends after holdMs with a timeout, a poll whose client left is forgotten, shutting ' +
      'down answers every poll "cancelled", and the client backs off after errors.',
    files: ['server.ts', 'client.ts'],
    serve: { holdMs: 4000 },
    demo: { start: 'startCometClient', options: { retryMs: 500, maxRetryMs: 8000 }, answers: 'status', pollPath: '/poll' },
    hints: [
      'Keep each held poll as { res, timer }. The timer is a setTimeout(holdMs) that answers { status: "timeout" }.',
      "A departed client: res.on('close', () => { if (!res.writableFinished) forget(poll); }). forget() clears the timer and deletes the poll from the set.",
      'answer(poll, body) calls forget(poll) first, then res.json(body) only if !res.writableEnded && !res.destroyed. Then the timer, a message and a departure can race safely.',
      'shutdown(): set shuttingDown = true and answer every held poll { status: "cancelled" }; GET /poll checks shuttingDown first.',
      'Client: a "timeout" answer is not an error: loop again at once. On an error: failuresInARow++, onError(error), await pause(Math.min(retryMs * 2 ** (failuresInARow - 1), maxRetryMs)). After a success set failuresInARow = 0.',
    ],
  },
  {
    number: 4,
    slug: '04-resume',
    title: 'Pick up where you left off (lastMessageId)',
    summary:
      'Every poll names the last message it has; the server answers at once with everything newer, ' +
      'in one batch, or holds. Nothing posted between two polls is lost, nothing arrives twice.',
    files: ['server.ts', 'client.ts'],
    serve: { holdMs: 4000 },
    demo: { start: 'startResumingClient', options: { retryMs: 500, maxRetryMs: 8000 }, answers: 'status', pollPath: '/poll' },
    hints: [
      'parseAfter: accept only a string of digits (/^\\d{1,15}$/) and return Number(raw); anything else is undefined, and the route answers 400.',
      'Ids are consecutive, so the message with id N is at index N - history[0].id. Everything newer than `after` is history.slice(after - oldestKept + 1).',
      'If after < oldestKept - 1, some messages were dropped: answer { status: "gap", from: after + 1, to: oldestKept - 1 }.',
      'After a post: const bytes = jsonBytes({ status: "messages", messages: [message] }); then for (const poll of [...waiting]) if (message.id > poll.after) answer(poll, bytes). One JSON.stringify, whatever the number of polls.',
      'Client: poll `/poll?after=${lastMessageId}`; deliver a message only if message.id > lastMessageId, and then set lastMessageId = message.id. On a gap, onGap({ from, to }) and lastMessageId = to.',
    ],
  },
  {
    number: 5,
    slug: '05-chat',
    title: 'The chat (SQLite, friends, presence)',
    summary:
      'A web chat as in the old ASP.NET demo, rebuilt properly: accounts with hashed passwords, friends, ' +
      'presence, private messages pushed with held polls and kept in SQLite, durable before they are acknowledged.',
    files: ['passwords.ts', 'store.ts', 'hub.ts', 'server.ts'],
    serve: { file: 'data/chat.sqlite', demo: true },
    page: 'public/',
    hints: [
      'passwords.ts: scrypt(password, salt, 32) with salt = randomBytes(16); store "scrypt$" + salt + "$" + hash in base64; compare with timingSafeEqual.',
      'store.ts: every query with ? placeholders and an array of values: this.#run("INSERT INTO messages (from_id, to_id, content, time) VALUES (?, ?, ?, ?)", [from, to, content, time]).',
      'hub.ts: keep held polls in a Map from user id to a Set of polls. deliver(message) wakes the polls of message.to and message.from — nobody else.',
      'Presence: a poll makes its user online (tell friends if they were not). When their last poll ends, start a grace timer; a new poll cancels it; when it fires, they are offline (tell friends).',
      'server.ts: requireUser reads "Authorization: Bearer <token>" and puts the user in res.locals; the sender of a message is that user, never a field of the body. Answer 201 only after await store.commit().',
    ],
  },
];

/** Finds a lesson by number (`2`, `"02"`) or slug (`"02-held-requests"`, `"held-requests"`). */
export function findLesson(key: string | number): Lesson | undefined {
  const text = String(key).trim();
  if (/^\d+$/.test(text)) return lessons.find((lesson) => lesson.number === Number(text));
  return lessons.find((lesson) => lesson.slug === text || lesson.slug.slice(3) === text);
}
