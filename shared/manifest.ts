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
      'TODOs 1–2 (passwords.ts): the salt is what makes equal passwords differ, so it must be new for every hash and stored beside it. Start from the format: "scrypt$" + salt (base64) + "$" + hash (base64).',
      'TODOs 3–9 (store.ts): every value goes in as a ? parameter with an array of values, never pasted into the SQL: this.#one("SELECT id, name FROM users WHERE name_key = ?", [key]). A name is taken when its key is taken.',
      'TODO 4: userForToken reads the session row (created, last_seen) by hashToken(token); if now − last_seen > idleMs or now − created > maxMs, DELETE it and return undefined; otherwise UPDATE last_seen and return the user.',
      'TODOs 8–9: readers see only what is on disk. Add "AND id <= ?" with this.#durableId to both queries: a message still being written could vanish in a crash, and its id come back with other content.',
      'TODOs 10–14 (hub.ts): deliver() wakes exactly two users (new Set([message.to, message.from])). Presence: a poll makes its user online (tell friends if they were not); when their last poll ends, a grace timer; a new poll cancels it; logout with no poll left is offline at once.',
      'TODOs 15–16 (server.ts): check the cheap things first (readName, passwordProblem), then `if (refusedTooOften(req, res, key)) return;`, and only then hash. For an unknown name, verify against await dummyHash() so both cases cost one scrypt.',
      'TODOs 19–20: POST /friends stores a request (store.addRequest, commit, hub.requested, 202 { request }) unless the other one asked first (then make friends, 201). Accept: 404 unless store.hasRequest(from, you); addFriendship, commit, hub.introduce, 201 { friend }.',
      'TODO 21: the sender is res.locals.session.user, never the body. `const message = store.addMessage(...); await store.commit(); hub.deliver(message); res.status(201).json(message);` — if commit() throws, nothing after it runs, and the error handler answers 503.',
    ],
  },
];

/** Finds a lesson by number (`2`, `"02"`) or slug (`"02-held-requests"`, `"held-requests"`). */
export function findLesson(key: string | number): Lesson | undefined {
  const text = String(key).trim();
  if (/^\d+$/.test(text)) return lessons.find((lesson) => lesson.number === Number(text));
  return lessons.find((lesson) => lesson.slug === text || lesson.slug.slice(3) === text);
}
