/**
 * Lesson 09 — lesson 04's server, as one of several processes behind one address. The ids and
 * the history live in Redis, reached through a Broker (broker.ts); this process keeps a
 * window on the history, fed by the broker with every new message — its own posts included —
 * and answers its own held polls from that window. The HTTP API is lesson 04's, unchanged.
 *
 * @module
 */
import type http from 'node:http';
import querystring from 'node:querystring';
import { BrokerDown, type Broker } from './broker.ts';
import { DEFAULT_HISTORY_LIMIT, DEFAULT_HOLD_MS, MAX_TEXT_LENGTH, type Message, type PollAnswer, type Stats } from './protocol.ts';

export interface AppOptions {
  /** Where the messages live: `connectBroker({ url })` for Redis, or the stand-in. */
  broker: Broker;
  /** This process's name, shown by `/stats` (default `A`). */
  name?: string;
  /** How long a poll is held before it is answered `{ status: "timeout" }` (default 25 s). */
  holdMs?: number;
  /** How many of the newest messages this process keeps (default 1000): the broker's historyLimit. */
  historyLimit?: number;
}

/** The lesson's request handler (for `http.createServer`), with a way to end it politely. */
export type ScaleApp = http.RequestListener & {
  /** Answers every held poll `{ status: "cancelled" }`, and every later poll too; closes the broker. */
  shutdown(): Promise<void>;
};

/** A poll being held: its response, the last id its client has, and its time limit. */
interface HeldPoll {
  res: http.ServerResponse;
  after: number;
  timer: NodeJS.Timeout;
}

/** Builds the app once the kept history is loaded from the broker; rejects with BrokerDown if it cannot be. */
export async function createApp(options: AppOptions): Promise<ScaleApp> {
  const { broker, name = 'A', holdMs = DEFAULT_HOLD_MS, historyLimit = DEFAULT_HISTORY_LIMIT } = options;
  // This process's window on the history: the newest messages, oldest first, consecutive ids,
  // as lesson 04. It starts with what Redis keeps, and lastId with the last of it.
  let history: Message[] = (await broker.history()).slice(-historyLimit);
  let lastId = history.at(-1)?.id ?? 0;
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
    let message: Message;
    try {
      // The 201 waits for Redis: once append resolves, the message has its id and is stored
      // where every process will read it. Nothing is added to the window here — it comes
      // back through follow(), like everyone else's.
      message = await broker.append((body as { text: string }).text);
    } catch (error) {
      if (!(error instanceof BrokerDown)) throw error;
      // At once, never a hang: the client may try again in a second, here or elsewhere.
      res.setHeader('retry-after', '1');
      sendJson(res, 503, { error: 'The message store (Redis) cannot be reached: try again in a moment.' });
      return;
    }
    sendJson(res, 201, message);
  }

  /** What a client holding everything up to `after` is missing; undefined when nothing. */
  function catchUp(after: number): PollAnswer | undefined {
    const oldestKept = history[0]?.id ?? lastId + 1;
    if (after < oldestKept - 1) return { status: 'gap', from: after + 1, to: oldestKept - 1 };
    // Greater than `after`. A poll ahead of this window (its client saw, on another process,
    // messages that have not reached this one yet) gets an empty slice, and is held until
    // they arrive.
    const newer = history.slice(after - oldestKept + 1);
    return newer.length > 0 ? { status: 'messages', messages: newer } : undefined;
  }

  /** A new message from the broker — from any process, this one included: in the window, and to every poll that lacks it. */
  function onMessage(message: Message): void {
    history.push(message);
    if (history.length > historyLimit) history.shift();
    lastId = message.id;
    // Every held poll has everything before this message: one serialisation for all of them.
    const bytes = jsonBytes({ status: 'messages', messages: [message] } satisfies PollAnswer);
    for (const poll of [...waiting]) {
      if (message.id > poll.after) answer(poll, bytes);
    }
  }

  /** The broker found messages trimmed before this process read them: the window starts again from `kept`. */
  function onReset(kept: Message[]): void {
    history = kept.slice(-historyLimit);
    lastId = Math.max(lastId, history.at(-1)?.id ?? 0);
    // Held polls that are now behind the window get their gap (or what they lack) at once.
    for (const poll of [...waiting]) {
      const missing = catchUp(poll.after);
      if (missing) answer(poll, jsonBytes(missing));
    }
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

  const app: http.RequestListener = (req, res) => {
    const { path, query } = splitUrl(req.url);
    if (req.method === 'GET' && path === '/poll') onPoll(query, res);
    else if (req.method === 'POST' && path === '/messages') onPost(req, res).catch((error: unknown) => sendError(res, error));
    else if (req.method === 'GET' && path === '/stats') sendJson(res, 200, { waiting: waiting.size, process: name, broker: broker.kind } satisfies Stats);
    else sendJson(res, 404, { error: `There is no route ${req.method} ${path}.` });
  };

  // From the last id loaded on: every message after it arrives once, in order, through onMessage.
  broker.follow(lastId, onMessage, onReset);

  return Object.assign(app, {
    async shutdown() {
      shuttingDown = true;
      for (const poll of [...waiting]) answer(poll, CANCELLED);
      await broker.close();
    },
  });
}

/** The `after` query parameter as a whole number ≥ 0 (1 to 15 digits), or undefined for anything else. Given: lesson 04's. */
export function parseAfter(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/** Says what is wrong with a new message's body, or returns undefined when it is fine. Given: lesson 04's. */
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
// Given: HTTP without a framework, as in lesson 04.

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
 * The parsed JSON body, or undefined when the request says it is not JSON. Rejects with an
 * UnreadableRequest for a charset other than UTF-8 (415), a body over 16 KB (413) or one that
 * is not valid JSON (400).
 */
async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const [type, ...parameters] = (req.headers['content-type'] ?? '').toLowerCase().split(';').map((part) => part.trim());
  if (type !== 'application/json') {
    req.resume();
    return undefined;
  }
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8') {
    req.resume();
    throw new UnreadableRequest(415, `the charset ${charset} is not supported; send UTF-8`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
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
