/**
 * Lesson 09 — lesson 04's server, as one of several processes behind one address. The ids and
 * the history live in Redis, reached through a Broker (broker.ts); this process keeps a
 * window on the history, fed by the broker with every new message — its own posts included —
 * and answers its own held polls from that window. The HTTP API is lesson 04's, unchanged.
 *
 * Your task: TODOs 6 to 12 (broker.ts has 1 to 5). Holding, time limits and departures are
 * lesson 03's, parseAfter and the checks of a new message lesson 04's, and the HTTP at the
 * bottom is given. `npm run verify -- 9` grades your work.
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
  // as lesson 04.
  // TODO 6: the window starts with what Redis keeps (at most historyLimit), and lastId with its
  //   last id (0 when Redis has nothing): a process started after others serves their messages.
  let history: Message[] = [];
  let lastId = 0;
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
    // TODO 10: 201 with the stored message once the broker has stored it — a 201 says "it is in
    //   Redis". Nothing goes into the window here: it comes back through follow(), like every
    //   other process's. Redis out of reach (BrokerDown): 503 at once, { error } and
    //   Retry-After: 1; any other error is thrown on (a 500).
    void BrokerDown;
    sendJson(res, 501, { error: 'POST /messages is not written yet: server.ts TODO 10.' });
  }

  /** What a client holding everything up to `after` is missing; undefined when nothing. */
  function catchUp(after: number): PollAnswer | undefined {
    const oldestKept = history[0]?.id ?? lastId + 1;
    // TODO 7: lesson 04's catch-up on this window: a gap when the client is behind what is
    //   kept, else everything newer than `after` in one answer, else undefined (held). A poll
    //   AHEAD of this window (its client saw newer messages on another process) lacks nothing
    //   here yet: held until they arrive — never an empty list, never a gap.
    void after;
    void oldestKept;
    return undefined;
  }

  /** A new message from the broker — from any process, this one included: in the window, and to every poll that lacks it. */
  function onMessage(message: Message): void {
    // TODO 8: into the window (at most historyLimit) and lastId; every held poll that lacks it
    //   gets it — serialised once for all of them, not once per poll.
    void message;
  }

  /** The broker found messages trimmed before this process read them: the window starts again from `kept`. */
  function onReset(kept: Message[]): void {
    // TODO 9: the window becomes `kept` (at most historyLimit) and lastId its last id — or stays
    //   where it is when `kept` is empty (Redis lost or trimmed everything before it: the next
    //   message is still lastId + 1, and a client behind gets its gap). Then every held poll
    //   that now lacks something is answered with it (a gap most likely).
    void kept;
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
    // TODO 12 (and in shutdown() below): /stats also names this process and its broker:
    //   { waiting, process: name, broker: broker.kind }.
    else if (req.method === 'GET' && path === '/stats') sendJson(res, 200, { waiting: waiting.size } satisfies Partial<Stats>);
    else sendJson(res, 404, { error: `There is no route ${req.method} ${path}.` });
  };

  // TODO 11: follow the broker from the last id loaded, so that every later message arrives
  //   once, in order — this process's own posts too.
  void [name, onMessage, onReset];

  return Object.assign(app, {
    async shutdown() {
      shuttingDown = true;
      for (const poll of [...waiting]) answer(poll, CANCELLED);
      // TODO 12 (continued): close the broker (await broker.close()): its connections to Redis.
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
