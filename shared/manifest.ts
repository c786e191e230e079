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
  /** The live demo on the lesson's page: simulated clients, running the lesson's own client code or Faye's, the page as a relay's caller, the page's own EventSource, or several server processes. */
  readonly demo?: Demo;
}

export type Demo = ClientDemo | BayeuxDemo | RelayDemo | SseDemo | ScaleDemo;

/** Simulated clients running the lesson's own client code (client.ts). */
export interface ClientDemo {
  readonly kind?: 'client';
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

/**
 * Clients that are Faye's own browser client (node_modules/faye/client/faye-browser-min.js,
 * served by the workshop as npm ships it), long-polling the lesson's Bayeux endpoint, each
 * subscribed to `channel`; the page publishes on it.
 */
export interface BayeuxDemo {
  readonly kind: 'bayeux';
  /** The Bayeux endpoint inside the lesson's API, e.g. `/bayeux`. */
  readonly endpoint: string;
  /** The channel the clients subscribe to and the page publishes on, e.g. `/chat/demo`. */
  readonly channel: string;
}

/**
 * A relay (lesson 07): the page is a caller that sends the agent's named queries through the
 * lesson's relay with the lesson's caller.ts (createCaller, as protocol.ts's DEMO_CALLER_KEY, to
 * DEMO_AGENT). The workshop runs the demo agent itself, in its own process (agent.ts's
 * startAgent with DEMO_AGENT_SECRET), an outbound client of its own port, and passes the
 * relay's and the agent's onEvent to the page. The relay's `serve` options need `demo: true`.
 */
export interface RelayDemo {
  readonly kind: 'relay';
  /** The named queries the page's form offers, each with parameters to start from; the first is selected. */
  readonly examples: ReadonlyArray<{ readonly query: string; readonly params: Readonly<Record<string, unknown>> }>;
}

/**
 * An event stream (lesson 08): the page's own native `EventSource` on the lesson's stream,
 * beside a long-polling lesson's demo clients on that lesson's server; the page posts each
 * message to both. The workshop offers `POST /api/lessons/<slug>/restart` for it: the lesson's
 * app is shut down and made again with the messages it kept (`kept()` as `initialMessages`).
 */
export interface SseDemo {
  readonly kind: 'sse';
  /** The stream's route inside the lesson's API, e.g. `/events`. */
  readonly eventsPath: string;
  /** A long-polling lesson shown beside it (its demo client polls its own server; the page posts each message to both). */
  readonly compareWith: string;
}

/**
 * Several server processes (lesson 09): the workshop runs the lesson's `main.ts` once per name,
 * on a private redis-server when one is installed (shared/redis.ts), otherwise as apps in its own
 * process on one stand-in broker (the lesson's stand-in.ts), and says which. Each process is
 * reachable at `/<root>/<slug>/p/<name>/api`, and `POST /<root>/<slug>/p/<name>/kill` kills it
 * (SIGKILL) and starts it again a few seconds later. The page's clients are lesson 04's,
 * each on one process, moved to another when theirs dies.
 */
export interface ScaleDemo {
  readonly kind: 'scale';
  /** The processes' names, e.g. `['A', 'B', 'C']`. */
  readonly processes: readonly string[];
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
      'Idea (TODOs 1–4): the server is a list and two doors. POST checks, then stores and answers 201; GET answers the whole list. Check first, so a refused post changes nothing — not even the next id. The list belongs to one app: create it inside createApp().',
      'Approach (TODOs 1–4): problemWithNewMessage returns a sentence for each way a body can be wrong (not an object, text not a string, only spaces, longer than MAX_TEXT_LENGTH as sent) and undefined otherwise. The id can come from the list itself: messages.length + 1, computed after the check.',
      'Code (TODOs 2–4): if (problem) { res.status(400).json({ error: problem }); return; } then const message = { id: messages.length + 1, text: req.body.text, time: Date.now() }; messages.push(message); res.status(201).json(message); and GET answers res.json({ messages }).',
      'Idea (TODOs 5–8): the client is one function that calls itself later: poll, deliver what is new, then schedule the next poll. The server repeats everything, so the client remembers how far it got; stop() must reach everything that could still happen (the timer, the request, the delivery).',
      'Approach (TODOs 5–8): keep lastDeliveredId, a stopped flag, the timer and the AbortController of the request in flight in variables of startPolling. pollOnce: fetch in try/catch, check response.ok, deliver ids above lastDeliveredId; after the try/catch, schedule the next poll unless stopped. Call pollOnce once at the start.',
      'Code (TODOs 6 and 8): if (!stopped) timer = setTimeout(pollOnce, intervalMs); and stop() { stopped = true; clearTimeout(timer); inFlight?.abort(); } — in the catch, call onError?.(error) only if !stopped; in the delivery loop, return as soon as stopped.',
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
      'Idea (TODOs 1–5): a held request is just a response you have not answered yet. Keep the responses of waiting polls in a list inside createApp() (one list per app); the post is the moment that empties it.',
      'Approach (TODOs 2–5): GET /poll only remembers its res — no answer there, not even an old message: a poll waits for the next one. POST /messages answers every remembered res with { message }, empties the list, then answers the poster 201. /stats is the length of the list.',
      'Code (TODOs 1–5): const waiting: Response[] = []; GET /poll: waiting.push(res); POST: for (const held of waiting.splice(0)) held.json({ message }); res.status(201).json(message); /stats: res.json({ waiting: waiting.length }).',
      'Idea (TODOs 6–9): the client is a loop with one poll open at a time: ask, deliver, ask again at once. Only a failure earns a pause (retryMs, 1000 by default), and stop() must end whatever the loop is doing: the held fetch or the pause.',
      'Approach (TODOs 6–9): const { retryMs = 1000 } = options; an async keepPolling() with while (!stopped) { try { fetch, check ok, deliver } catch { if (stopped) return; onError?.(error); await pause(retryMs); } }. Keep the AbortController of the fetch in flight, and a way for stop() to end the pause.',
      'Code (TODO 9): function pause(ms) { return new Promise((resolve) => { const timer = setTimeout(resolve, ms); wakeUp = () => { clearTimeout(timer); resolve(); }; }); } and stop() { stopped = true; inFlight?.abort(); wakeUp?.(); }.',
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
      'Idea (TODOs 1–4): a held poll can end four ways — a message, its time limit, its client leaving, a shutdown — and they race. Whatever ends it first must forget it completely (out of the list, timer cleared) before writing anything, and nothing may write twice.',
      "Approach (TODOs 1–4): keep each held poll as { res, timer }; the timer is setTimeout(() => answer(poll, { status: 'timeout' }), holdMs). forget() clears the timer and deletes the poll from the set; answer() calls forget() first and writes only if the response is still open. res.on('close') forgets a poll whose response did not finish.",
      "Code (TODOs 2–4): res.on('close', () => { if (!res.writableFinished) forget(poll); }); forget: clearTimeout(poll.timer); waiting.delete(poll); answer: forget(poll); if (!poll.res.writableEnded && !poll.res.destroyed) poll.res.json(body);",
      "TODOs 5–7: shutdown() sets shuttingDown = true and answers every held poll { status: 'cancelled' }; GET /poll checks shuttingDown first and answers the same (a 200) at once. noStore: res.set('Cache-Control', 'no-store') before next().",
      'Idea (TODOs 8–11): on the client, a timeout is routine (ask again at once, no pause), an error means "slow down" (a pause that doubles with each failure in a row, up to a cap), and "cancelled" means "stop". Any answer at all ends a run of failures.',
      'Code (TODOs 8–11): handle: message → onMessage(answer.message); cancelled → stopped = true; onCancelled?.(). Right after a poll returns: failuresInARow = 0. In the catch: failuresInARow++; onError?.(error); await pause(backOff()); with backOff() = Math.min(retryMs * 2 ** (failuresInARow - 1), maxRetryMs).',
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
      'Idea (TODOs 1–2): the history is an array of the newest messages, with consecutive ids. A restarted server (initialMessages) continues from the last id it had, not from how many it kept; the oldest are dropped once there are more than historyLimit (1000 by default).',
      'Code (TODOs 1–2): const history = initialMessages.slice(-historyLimit); let lastId = initialMessages.at(-1)?.id ?? 0; after a post: history.push(message); if (history.length > historyLimit) history.shift(); answerHeldPolls(message).',
      'Idea (TODOs 3–4): catchUp(after) compares `after` with the oldest kept id. Too far behind: a gap from after + 1 to oldestKept - 1. Otherwise every kept message with an id greater than after — all of them, in one answer. Ids are consecutive, so the message with id N is at index N - oldestKept: a slice, no search.',
      "Code (TODOs 3–5): if (after < oldestKept - 1) return { status: 'gap', from: after + 1, to: oldestKept - 1 }; const newer = history.slice(after - oldestKept + 1); after a post: const bytes = jsonBytes({ status: 'messages', messages: [message] }); for (const poll of [...waiting]) if (message.id > poll.after) answer(poll, bytes);",
      'TODO 6, parseAfter: only a string of 1 to 15 digits is an id: if (typeof raw !== "string" || !/^\\d{1,15}$/.test(raw)) return undefined; return Number(raw);',
      'Client (TODOs 7–9): poll `${baseUrl}/poll?after=${lastMessageId}`; deliver a message only if message.id > lastMessageId (and not stopped), then set lastMessageId = message.id. On a gap: onGap?.({ from, to }) and lastMessageId = Math.max(lastMessageId, to).',
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
  {
    number: 6,
    slug: '06-bayeux',
    title: 'Channels over Bayeux',
    summary:
      'A Bayeux 1.0 server (long polling): clients handshake for an identity, hold a /meta/connect, ' +
      'subscribe to channels with * and ** wildcards and publish to them; a real Faye client works with it.',
    files: ['channels.ts', 'engine.ts', 'server.ts'],
    // Held for 4 s in the workshop, as lessons 03 and 04: the demo's timeline shows connects timing out.
    serve: { timeoutMs: 4000 },
    demo: { kind: 'bayeux', endpoint: '/bayeux', channel: '/chat/demo' },
    hints: [
      'Idea (TODO 1): do not test every subscription against a channel; list the few patterns that can match the channel and look each one up. For /a/b/c: the name, /a/b/* (only the last segment may be *), and ** after every prefix: /**, /a/**, /a/b/**.',
      "Code (TODO 1): const segments = channel.split('/').slice(1); const patterns = [channel, '/' + [...segments.slice(0, -1), '*'].join('/')]; for (let kept = 0; kept < segments.length; kept++) patterns.push('/' + [...segments.slice(0, kept), '**'].join('/'));",
      'Idea (TODOs 2–3): two maps that mirror each other — pattern → clients (to deliver) and client → patterns (to forget a client without scanning everything). recipients() gathers the clients of every pattern of expand(channel) into a Set, so a client with several matching subscriptions is there once.',
      'Code (TODOs 2–3): subscribe: addTo(this.#byPattern, pattern, clientId); addTo(this.#byClient, clientId, pattern); unsubscribe: the same with removeFrom; forget: for each pattern of this.#byClient.get(clientId), removeFrom(this.#byPattern, pattern, clientId), then delete the client. recipients: const found = new Set<string>(); for (const pattern of expand(channel)) for (const id of this.#byPattern.get(pattern) ?? []) found.add(id); return found;',
      'Idea (TODOs 4–5): a session is lesson 04’s place kept by the server: a queue, at most one held connect, one expiry timer. A connect is answered at once when the queue has messages; otherwise it is held with a timer of holdMs. A newer connect answers the older one first, with nothing.',
      "Code (TODO 5): if (session.held) this.#answerHeld(session, []); clearTimeout(session.expiry); session.expiry = undefined; if (session.queue.length > 0 || holdMs <= 0 || this.#shuttingDown) { this.#answerNow(session, answer); return () => undefined; } const held = { answer, timer: setTimeout(() => this.#answerHeld(session, session.queue), holdMs) }; session.held = held; return () => { if (session.held !== held) return; clearTimeout(held.timer); session.held = undefined; this.#startExpiry(session); };",
      "Code (TODOs 4, 6, 7): the clientId is randomBytes(16).toString('base64url'). publish: for each recipient, session.queue.push(message); if (session.queue.length > maxQueue) session.queue.shift(); if (session.held) this.#toWake.add(session). Expiry: session.expiry = setTimeout(() => this.disconnect(session.id), timeoutMs + intervalMs + sessionMarginMs).",
      'Idea (TODOs 8–13): each handler checks in the same order — is the client known (else unknownClient: 402 with advice reconnect "handshake"), are the fields there (400), are the channels valid (405) and allowed (403) — and only then acts and answers. Every reply echoes the message id (TODO 8).',
      "Code (TODOs 9–11): handshake: if (!Array.isArray(types)) return refuse(message, missing('supportedConnectionTypes'), offered); … const clientId = engine.handshake(address); return answer(message, { ...offered, clientId, advice }). connect: if (!engine.has(clientId)) return { reply: unknownClient(message) }; … return { reply: answer(message, { clientId, advice }), connect: { clientId, holdMs: holdFor(message) } }. subscribe: const patterns = subscriptionsOf(message); const problem = patterns === undefined ? missing('subscription') : problemWithPatterns(patterns); if (problem) return refuse(…); engine.subscribe(clientId, patterns);",
      "Code (TODO 13): if (isMeta(channel)) → 403; if (!isChannelName(channel)) → 405; if (message.data === undefined) → missing('data'); if (!isService(channel)) engine.publish(channel, JSON.stringify({ channel, data: message.data, ...(message.ext === undefined ? {} : { ext: message.ext }) })); return answer(message, {});",
    ],
  },
  {
    number: 7,
    slug: '07-relay',
    title: 'The relay through a firewall',
    summary:
      'An agent inside a firewall, outbound HTTP only, holds a poll at a public relay; callers\' queries wait there ' +
      'until the agent answers or a deadline passes. Named, allow-listed queries only; correlation ids; at most once.',
    files: ['database.ts', 'server.ts', 'agent.ts', 'caller.ts'],
    // The demo agent (protocol.ts: DEMO_AGENT) is added by demo: true; polls held 4 s as in lessons 03–04.
    serve: { demo: true, holdMs: 4000, deadlineMs: 3000 },
    demo: {
      kind: 'relay',
      examples: [
        { query: 'customerById', params: { id: 1 } },
        { query: 'ordersByCustomer', params: { customerId: 2, limit: 3 } },
        { query: 'searchCustomers', params: { prefix: 'Gr' } },
        { query: 'addNote', params: { customerId: 3, text: 'Called back about the moth trap.' } },
        { query: 'countNotes', params: { customerId: 3 } },
      ],
    },
    hints: [
      'Idea (TODOs 1–3, database.ts): the agent trusts nothing that comes through the relay. A query is a NAME the agent knows, never SQL; every parameter is checked for type and range, and goes into the SQL as a ? value.',
      "Code (TODOs 1–3): integer: if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new Refusal(...). runNamedQuery: if (typeof query !== 'string' || !Object.hasOwn(QUERIES, query)) return { status: 400, error: ... }; then try { return { status: 200, result: QUERIES[query]!(database.db, params) }; } catch (error) { if (error instanceof Refusal) return { status: 400, error: `${query}: ${error.message}` }; throw error; }",
      'Idea (TODOs 4 and 8, server.ts): lesson 02 turned around. The agent\'s poll waits for work: answer it at once when the queue has queries, otherwise hold it. A new query goes to the end of the queue, and a held poll takes what is queued at once. Before queueing: no session → 503 at once; too many pending → 429 with Retry-After.',
      "Code (TODO 4): if (session.held) answerPoll(agent, session, { status: 'timeout' }); if (agent.queue.length > 0) { res.json(deliver(agent, session, max)); startOfflineTimer(agent, session); return; } hold(agent, session, res, max);",
      'Idea (TODOs 5–6): a query delivered to a session belongs to it. If the session ends, the query may have run: 502, never delivered again. An answer is accepted only from that session, once; unknown ids 404, other sessions 403, a second answer 409, an answer nobody waits for 410.',
      'Idea (TODOs 7 and 9): an Idempotency-Key names one execution. A retry with the key joins the running request (wait on the same Pending) or gets the kept answer; a caller that gives up (deadline, 504) leaves, and a queued request nobody waits for is taken out of the queue.',
      'Idea (TODOs 10–11, agent.ts): lesson 03\'s client loop: login when there is no token, poll, any answer resets the failures, an error pauses min(retryMs * 2 ** (n - 1), maxRetryMs). Work is answered beside the next poll: start answerAll() without await; it yields once (setImmediate) and posts every answer of the batch in one request.',
      'Idea (TODO 12, caller.ts): 200 is the result; anything else a QueryError with the status. Retry only what certainly did not run (0, 429, 503), and always with one Idempotency-Key for all the attempts.',
    ],
  },
  {
    number: 8,
    slug: '08-event-stream',
    title: 'Server-Sent Events (Last-Event-ID)',
    summary:
      "One response stays open and carries every message as an event; the browser's own EventSource reconnects by itself and sends Last-Event-ID — lesson 04's resume, built into the platform.",
    files: ['framing.ts', 'server.ts'],
    serve: { retryMs: 1000, heartbeatMs: 15000, maxStreamMs: 60000 },
    demo: { kind: 'sse', eventsPath: '/events', compareWith: '04-resume' },
    hints: [
      'Idea (TODOs 1–3, framing.ts): an event is lines "name: value" and a blank line. Nothing can escape a line ending, and the reader ends a line at \\r\\n, at \\r and at \\n. So the data is cut at all three and each piece gets its own data: line; an id or event name with a line ending in it is refused. A message travels as JSON, which has no real line break.',
      "Code (TODOs 1–2): if (fields.id !== undefined) text += `id: ${oneLine('id', String(fields.id))}\\n`; the same for event; retry: if (!Number.isInteger(fields.retry) || fields.retry < 0) throw new RangeError(...); then for (const line of fields.data.split(/\\r\\n|\\r|\\n/)) text += `data: ${line}\\n`; return `${text}\\n`; — oneLine: if (/[\\r\\n\\0]/.test(value)) throw new RangeError(...).",
      "Code (TODO 3): messageEvent: formatEvent({ id: message.id, data: JSON.stringify(message) }); gapEvent: formatEvent({ id: gap.to, event: 'gap', data: JSON.stringify(gap) }) — the id `to` moves the client's Last-Event-ID past the lost ids.",
      'Idea (TODOs 4–7): before a stream opens, the request is checked in order: Accept (406), the position (header, else query, else 0; 400 when it is not 1 to 15 digits), shutting down (503), too many streams (503 with Retry-After: 5). The header wins because EventSource reconnects to the same URL: the query is where it started, the header where it is.',
      "Code (TODOs 4–6): parseLastEventId: typeof raw === 'string' && /^\\d{1,15}$/.test(raw) ? Number(raw) : undefined. acceptsEventStream: accept === undefined || accept.split(',').map((r) => r.split(';')[0].trim().toLowerCase()).some((t) => t === 'text/event-stream' || t === 'text/*' || t === '*/*'). Position: const header = req.headers['last-event-id']; parseLastEventId(header ?? querystring.parse(query).lastEventId ?? '0').",
      'Idea (TODOs 8–9): opening is: headers, flushHeaders() (so open fires now), remember the stream with its max-age timer and forget it on its response\'s close and its connection\'s (a pipelined response never closes by itself), one heartbeat interval for everyone, and one first write: retry:, then lesson 04\'s catch-up as events (a gap first when the client is behind the history).',
      "Code (TODO 8): res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' }); res.flushHeaders(); const stream: Stream = { res, position, maxAge: setTimeout(() => endStream(stream), maxStreamMs), onGone: () => forget(stream) }; streams.add(stream); res.on('close', stream.onGone); res.req.socket.on('close', stream.onGone); heartbeat ??= setInterval(beat, heartbeatMs); send(stream, `retry: ${retryMs}\\n\\n${catchUp(position)}`);",
      'Idea (TODOs 10–11): a post formats its event once and writes the same Buffer to every stream with a lower position. A slow reader is the only way a stream grows memory: before each write, look at res.writableLength (what earlier writes left waiting); past maxBufferedBytes, cut the stream — its client comes back with Last-Event-ID and catches up. Check before the write, not after: right after res.write() the whole write is still counted.',
      'Code (TODOs 10–13): broadcast: const bytes = Buffer.from(messageEvent(message)); for (const s of [...streams]) if (message.id > s.position) { s.position = message.id; send(s, bytes); } — send: if (res.writableLength > maxBufferedBytes) { forget(stream); res.destroy(); return; } res.write(bytes); — forget: if (!streams.delete(stream)) return; clearTimeout(stream.maxAge); stream.res.req.socket.off(\'close\', stream.onGone); if (streams.size === 0) { clearInterval(heartbeat); heartbeat = undefined; } — endStream: forget(stream); endWithin(stream.res, endGraceMs, \': reconnect\\n\\n\'); — shutdown: shuttingDown = true; for each stream forget it and endWithin(stream.res, endGraceMs).',
    ],
  },
  {
    number: 9,
    slug: '09-scale-out',
    title: 'Scale out through Redis',
    summary:
      'Several server processes behind one address share ids, history and every new message through a real Redis: a client moved to another process resumes with nothing lost or repeated.',
    files: ['broker.ts', 'server.ts'],
    serve: { holdMs: 4000 },
    demo: { kind: 'scale', processes: ['A', 'B', 'C'] },
    hints: [
      'Idea (TODOs 1–2, broker.ts): Redis is the one place ids come from and the history lives. Append is ONE call of the given script (INCR and XADD run together, nothing between them), and the message exists only when Redis has answered; the history is the whole stream, read with XRANGE.',
      "Code (TODOs 1–2): const time = Date.now(); const id = await run(commands, (redis) => redis.eval(APPEND_SCRIPT, 2, seqKey, streamKey, text, time, historyLimit)); return { id: Number(id), text, time }; — readHistory: const entries = await run(connection, (redis) => redis.xrange(streamKey, '-', '+')); return entries.map(toMessage).slice(-historyLimit);",
      'Idea (TODOs 3–5, broker.ts): follow is a loop that always asks "what comes after the last id I delivered?" (XREAD BLOCK … STREAMS key last-0). That one number makes it survive anything: a reconnect, a Redis restart, a slow process. If the first id it reads is not last + 1, the entries in between were trimmed: reset from the kept history. A failure is caught, waited out (longer each time), and the same question asked again — but first the given LOSS_SCRIPT asks whether Redis came back without its data (1): that is a reset too.',
      "Code (TODOs 3–5): while (!closed) { try { if (failures > 0 && (await run(reader, (redis) => redis.eval(LOSS_SCRIPT, 2, seqKey, streamKey, last))) === 1) await reset(); const reply = await run(reader, (redis) => redis.xread('BLOCK', blockMs, 'STREAMS', streamKey, `${last}-0`)); failures = 0; const messages = (reply?.[0]?.[1] ?? []).map(toMessage); if (messages.length > 0 && messages[0].id !== last + 1) { await reset(); continue; } for (const m of messages) { last = m.id; onMessage(m); } } catch { if (closed) return; failures++; await pause(backOff(failures)); } } — where reset() is: const history = await readHistory(reader); last = history.at(-1)?.id ?? last; onReset(history);",
      'Idea (TODOs 6–9, server.ts): the process keeps a window on the history, as lesson 04 kept its history: loaded at start, then fed ONLY by follow — its own posts too, so that every message enters every window once and in the same order. A poll ahead of the window came from a process that is further along: hold it, it will be answered when the message arrives.',
      "Code (TODOs 6–9): let history = (await broker.history()).slice(-historyLimit); let lastId = history.at(-1)?.id ?? 0; catchUp: lesson 04's (gap, then history.slice(after - oldestKept + 1), undefined when empty — also when after > lastId). onMessage: push, shift past historyLimit, lastId = message.id, one jsonBytes for every held poll with message.id > poll.after. onReset: history = kept.slice(-historyLimit); lastId = history.at(-1)?.id ?? lastId; answer every held poll for which catchUp(poll.after) is not undefined.",
      'Idea (TODOs 10–12, server.ts): a 201 is a promise that the message is stored, so it waits for Redis. When Redis cannot be reached, say so at once — 503 and Retry-After — instead of making the client wait: the connection has no offline queue, so append fails at once. Follow from the last id loaded, and close the broker on shutdown.',
      "Code (TODOs 10–12): try { sendJson(res, 201, await broker.append(text)); } catch (error) { if (!(error instanceof BrokerDown)) throw error; res.setHeader('retry-after', '1'); sendJson(res, 503, { error: '…' }); } — broker.follow(lastId, onMessage, onReset); — /stats: { waiting: waiting.size, process: name, broker: broker.kind }; shutdown: after the cancelled answers, await broker.close().",
    ],
  },
];

/** Finds a lesson by number (`2`, `"02"`) or slug (`"02-held-requests"`, `"held-requests"`). */
export function findLesson(key: string | number): Lesson | undefined {
  const text = String(key).trim();
  if (/^\d+$/.test(text)) return lessons.find((lesson) => lesson.number === Number(text));
  return lessons.find((lesson) => lesson.slug === text || lesson.slug.slice(3) === text);
}
