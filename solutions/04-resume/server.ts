/**
 * Lesson 04 — pick up where you left off: every poll says which message it has last
 * (`after`), and the server answers with everything newer, or holds the poll until there
 * is something. Nothing posted between two polls is lost.
 *
 * This server is plain node:http, without Express: with thousands of polls held, every
 * message turns into thousands of answers, and each answer should cost no more than
 * writing its bytes (see "Thousands of clients" in the lesson text).
 *
 * @module
 */
import type http from 'node:http';
import querystring from 'node:querystring';
import { DEFAULT_HISTORY_LIMIT, DEFAULT_HOLD_MS, MAX_TEXT_LENGTH, type Message, type PollAnswer } from './protocol.ts';

export interface AppOptions {
  /** How long a poll is held before it is answered `{ status: "timeout" }`. */
  holdMs?: number;
  /** How many of the newest messages are kept for clients that catch up. */
  historyLimit?: number;
  /**
   * Messages to start with (e.g. read back after a restart), oldest first, with
   * consecutive ids. New messages continue after the last one.
   */
  initialMessages?: readonly Message[];
}

/** The lesson's request handler (for `http.createServer`), with a way to end it politely. */
export type CometApp = http.RequestListener & {
  /** Answers every held poll `{ status: "cancelled" }`, and every later poll too. */
  shutdown(): void;
};

/** A poll being held: its response, the last id its client has, and its time limit. */
interface HeldPoll {
  res: http.ServerResponse;
  after: number;
  timer: NodeJS.Timeout;
}

export function createApp(options: AppOptions = {}): CometApp {
  const { holdMs = DEFAULT_HOLD_MS, historyLimit = DEFAULT_HISTORY_LIMIT, initialMessages = [] } = options;
  // The newest messages, oldest first. Their ids are consecutive, so the message with
  // id N sits at index N - history[0].id: no search needed.
  const history: Message[] = initialMessages.slice(-historyLimit);
  let lastId = initialMessages.at(-1)?.id ?? 0;
  const waiting = new Set<HeldPoll>();
  let shuttingDown = false;

  /** GET /poll?after=N */
  function onPoll(query: string, res: http.ServerResponse): void {
    const after = parseAfter(querystring.parse(query).after);
    if (after === undefined) {
      sendJson(res, 400, { error: 'The query parameter "after" must be a whole number, 0 or more: the id of the last message you have.' });
      return;
    }
    if (shuttingDown) {
      sendJson(res, 200, CANCELLED);
      return;
    }
    const answer = catchUp(after);
    // A client that is behind gets what it is missing at once; one that has everything waits.
    if (answer) sendJson(res, 200, answer);
    else hold(res, after);
  }

  /** POST /messages */
  async function onPost(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readJsonBody(req);
    const problem = problemWithNewMessage(body);
    if (problem) {
      sendJson(res, 400, { error: problem });
      return;
    }
    const message: Message = { id: ++lastId, text: (body as { text: string }).text, time: Date.now() };
    history.push(message);
    if (history.length > historyLimit) history.shift();
    answerHeldPolls(message);
    sendJson(res, 201, message);
  }

  /** What a client holding everything up to `after` is missing; undefined when nothing. */
  function catchUp(after: number): PollAnswer | undefined {
    const oldestKept = history[0]?.id ?? lastId + 1;
    // The messages between `after` and the oldest one kept have been dropped: say so,
    // and the client goes on from the oldest kept one.
    if (after < oldestKept - 1) return { status: 'gap', from: after + 1, to: oldestKept - 1 };
    // Everything with an id greater than `after` — greater, not equal: the client already
    // has message `after` itself. All of it in one answer, oldest first.
    const newer = history.slice(after - oldestKept + 1);
    return newer.length > 0 ? { status: 'messages', messages: newer } : undefined;
  }

  function hold(res: http.ServerResponse, after: number): void {
    const poll: HeldPoll = { res, after, timer: setTimeout(() => answer(poll, TIMED_OUT), holdMs) };
    waiting.add(poll);
    res.on('close', () => {
      if (!res.writableFinished) forget(poll);
    });
  }

  function forget(poll: HeldPoll): void {
    clearTimeout(poll.timer);
    waiting.delete(poll);
  }

  function answer(poll: HeldPoll, bytes: Buffer): void {
    forget(poll);
    sendJson(poll.res, 200, bytes);
  }

  /** After a post: every held poll that does not have the new message gets it. */
  function answerHeldPolls(message: Message): void {
    // A poll is held only while its client has everything, so each held poll is missing
    // exactly this one message: the answer is the same for all of them. Serialise it once
    // and write the same bytes to every poll — with 10,000 polls, that is 9,999
    // JSON.stringify calls saved.
    const bytes = jsonBytes({ status: 'messages', messages: [message] } satisfies PollAnswer);
    for (const poll of [...waiting]) {
      // Greater, as everywhere: a poll that is ahead of the server (it saw ids that a
      // restart lost) has nothing to gain from this message and waits on.
      if (message.id > poll.after) answer(poll, bytes);
    }
  }

  // The whole API is three routes: matching them by hand is what Express did for us, and
  // here it costs next to nothing on each of the thousands of re-polls after a message.
  const app: http.RequestListener = (req, res) => {
    const { path, query } = splitUrl(req.url);
    if (req.method === 'GET' && path === '/poll') onPoll(query, res);
    else if (req.method === 'POST' && path === '/messages') onPost(req, res).catch((error: unknown) => sendError(res, error));
    else if (req.method === 'GET' && path === '/stats') sendJson(res, 200, { waiting: waiting.size });
    else sendJson(res, 404, { error: `There is no route ${req.method} ${path}.` });
  };
  return Object.assign(app, {
    shutdown() {
      shuttingDown = true;
      for (const poll of [...waiting]) answer(poll, CANCELLED);
    },
  });
}

/** The `after` query parameter as a whole number ≥ 0, or undefined for anything else. */
export function parseAfter(raw: unknown): number | undefined {
  // Digits only, and few enough to stay an exact number: "-1", "1.5", "1e309", "abc",
  // "" and a repeated parameter (an array) are all refused.
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/** Says what is wrong with a new message's body, or returns undefined when it is fine. */
export function problemWithNewMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) {
    return 'Send a JSON object like {"text": "hello"} with Content-Type: application/json.';
  }
  const { text } = body as { text?: unknown };
  if (typeof text !== 'string') return 'The field "text" must be a string.';
  if (text.trim() === '') return 'The field "text" must not be empty.';
  if (text.length > MAX_TEXT_LENGTH) return `The field "text" is longer than ${MAX_TEXT_LENGTH} characters.`;
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Given: HTTP without a framework — JSON answers as bytes, and JSON bodies read with a limit.

const MAX_BODY_BYTES = 16 * 1024;

/** A value as the bytes of its JSON. */
function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

const TIMED_OUT = jsonBytes({ status: 'timeout' } satisfies PollAnswer);
const CANCELLED = jsonBytes({ status: 'cancelled' } satisfies PollAnswer);

/** Answers with JSON — a value, or bytes already serialised — unless the client is gone. */
function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const bytes = Buffer.isBuffer(body) ? body : jsonBytes(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length, 'cache-control': 'no-store' });
  res.end(bytes);
}

/** A request the server cannot read, with the 4xx status that says why. */
class UnreadableRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Answers an error: 4xx with what was wrong with the request, 500 for anything else. */
function sendError(res: http.ServerResponse, error: unknown): void {
  if (error instanceof UnreadableRequest) sendJson(res, error.status, { error: `The request could not be read: ${error.message}.` });
  else {
    // The client learns only that the server failed: log the real error, with its stack.
    console.error(error);
    sendJson(res, 500, { error: 'The server failed.' });
  }
}

/** The path and the query string of a request's URL. */
function splitUrl(url = '/'): { path: string; query: string } {
  const mark = url.indexOf('?');
  return mark < 0 ? { path: url, query: '' } : { path: url.slice(0, mark), query: url.slice(mark + 1) };
}

/**
 * The parsed JSON body, or undefined when the request says it is not JSON (no
 * `Content-Type: application/json`). Rejects with an UnreadableRequest for a charset other
 * than UTF-8 (415), a body over 16 KB (413) or one that is not valid JSON (400).
 */
async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const [type, ...parameters] = (req.headers['content-type'] ?? '').toLowerCase().split(';').map((part) => part.trim());
  if (type !== 'application/json') {
    req.resume(); // read and drop whatever was sent, so the connection can be reused
    return undefined;
  }
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8') {
    req.resume();
    throw new UnreadableRequest(415, `the charset ${charset} is not supported; send UTF-8`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even past the limit (keeping nothing more): stopping half-way would
  // leave the rest of the body in the connection, where it cannot be answered.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new UnreadableRequest(413, `the body is larger than ${MAX_BODY_BYTES / 1024} KB`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new UnreadableRequest(400, `the body is not valid JSON (${(error as Error).message})`);
  }
}
