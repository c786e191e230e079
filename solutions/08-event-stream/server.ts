/**
 * Lesson 08 — one response, many events. Lesson 04's server answered each poll once and the
 * client asked again; here `GET /events` stays open and the server writes every new message
 * into it as an event. The browser's `EventSource` reads them, and when the stream breaks it
 * reconnects by itself and sends `Last-Event-ID`: lesson 04's `after`, built into the
 * platform.
 *
 * Plain node:http, as lesson 04: each message is formatted once and the same bytes are
 * written to every open stream.
 *
 * @module
 */
import type http from 'node:http';
import querystring from 'node:querystring';
import { gapEvent, messageEvent, PING } from './framing.ts';
import {
  DEFAULT_END_GRACE_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_STREAM_MS,
  DEFAULT_MAX_STREAMS,
  DEFAULT_RETRY_MS,
  MAX_TEXT_LENGTH,
  type Message,
  type Stats,
} from './protocol.ts';

export interface AppOptions {
  /** How many of the newest messages are kept for clients that catch up. */
  historyLimit?: number;
  /**
   * Messages to start with (e.g. kept() of the server before a restart), oldest first, with
   * consecutive ids. New messages continue after the last one.
   */
  initialMessages?: readonly Message[];
  /** The reconnect delay sent to every client (`retry:`), in milliseconds. */
  retryMs?: number;
  /** How often `PING` goes down every open stream, in milliseconds. */
  heartbeatMs?: number;
  /** How long a stream stays open before the server ends it politely, in milliseconds. */
  maxStreamMs?: number;
  /** How many bytes may wait in a stream's buffer; a reader further behind is cut off. */
  maxBufferedBytes?: number;
  /** How many streams may be open at once; one more gets `503`. */
  maxStreams?: number;
  /**
   * How long a stream the server ended (maximum age, shutdown) may take to reach its client,
   * in milliseconds; a client that does not read it by then is cut off.
   */
  endGraceMs?: number;
}

/** The lesson's request handler (for `http.createServer`), with a way to end it politely. */
export type SseApp = http.RequestListener & {
  /** Ends every open stream, and refuses new ones with `503`; no timer of the app is left. */
  shutdown(): void;
  /** A copy of the kept history, oldest first: what a restarted server starts with. */
  kept(): readonly Message[];
};

/** An open stream: its response, the id of the last message its client has, its age limit, and what forgets it. */
interface Stream {
  res: http.ServerResponse;
  position: number;
  maxAge: NodeJS.Timeout;
  /** Listens to the response's close and to its connection's (see open()). */
  onGone: () => void;
}

export function createApp(options: AppOptions = {}): SseApp {
  const {
    historyLimit = DEFAULT_HISTORY_LIMIT,
    initialMessages = [],
    retryMs = DEFAULT_RETRY_MS,
    heartbeatMs = DEFAULT_HEARTBEAT_MS,
    maxStreamMs = DEFAULT_MAX_STREAM_MS,
    maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES,
    maxStreams = DEFAULT_MAX_STREAMS,
    endGraceMs = DEFAULT_END_GRACE_MS,
  } = options;
  // A typo such as "256k" is NaN, and every comparison with NaN is false: the limit would be
  // silently off. Refuse it before anything runs.
  wholeNumber('historyLimit', historyLimit, 1, Number.MAX_SAFE_INTEGER);
  wholeNumber('retryMs', retryMs, 0, MAX_TIMER_MS);
  wholeNumber('heartbeatMs', heartbeatMs, 1, MAX_TIMER_MS);
  wholeNumber('maxStreamMs', maxStreamMs, 1, MAX_TIMER_MS);
  wholeNumber('maxBufferedBytes', maxBufferedBytes, 0, Number.MAX_SAFE_INTEGER);
  wholeNumber('maxStreams', maxStreams, 1, Number.MAX_SAFE_INTEGER);
  wholeNumber('endGraceMs', endGraceMs, 0, MAX_TIMER_MS);
  // The newest messages, oldest first, with consecutive ids (as lesson 04).
  const history: Message[] = initialMessages.slice(-historyLimit);
  let lastId = initialMessages.at(-1)?.id ?? 0;
  const streams = new Set<Stream>();
  // One heartbeat for all the streams, running only while one is open.
  let heartbeat: NodeJS.Timeout | undefined;
  let shuttingDown = false;

  /** GET /events */
  function onEvents(req: http.IncomingMessage, query: string, res: http.ServerResponse): void {
    if (!acceptsEventStream(req.headers.accept)) {
      sendJson(res, 406, { error: 'GET /events answers text/event-stream; send Accept: text/event-stream (or no Accept header).' });
      return;
    }
    // The header wins: EventSource reconnects to the same URL, so the query names where the
    // first connection started, and the header where the client is now.
    const header = req.headers['last-event-id'];
    const position = parseLastEventId(header ?? querystring.parse(query).lastEventId ?? '0');
    if (position === undefined) {
      sendJson(res, 400, { error: 'The Last-Event-ID header (or the lastEventId query parameter) must be a whole number, 0 or more: the id of the last event you have.' });
      return;
    }
    if (shuttingDown) {
      sendJson(res, 503, { error: 'The server is shutting down.' });
      return;
    }
    if (streams.size >= maxStreams) {
      res.setHeader('retry-after', '5');
      sendJson(res, 503, { error: `The server has ${maxStreams} streams open, its limit: try again in a few seconds.` });
      return;
    }
    open(res, position);
  }

  function open(res: http.ServerResponse, position: number): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    // The headers go now, before any event: the client's `open` fires at once.
    res.flushHeaders();
    const stream: Stream = { res, position, maxAge: setTimeout(() => endStream(stream), maxStreamMs), onGone: () => forget(stream) };
    streams.add(stream);
    res.on('close', stream.onGone);
    // A request pipelined behind another on the same connection has a response with no
    // socket yet: when the client leaves, that response never closes. Its connection does.
    res.req.socket.on('close', stream.onGone);
    heartbeat ??= setInterval(beat, heartbeatMs);
    // The reconnect delay, then whatever the client is missing, in one write.
    send(stream, `retry: ${retryMs}\n\n${catchUp(position)}`);
  }

  /** The events a client that has everything up to `position` is missing: maybe a gap, then every newer kept message. */
  function catchUp(position: number): string {
    const oldestKept = history[0]?.id ?? lastId + 1;
    let events = '';
    if (position < oldestKept - 1) {
      events += gapEvent({ from: position + 1, to: oldestKept - 1 });
      position = oldestKept - 1;
    }
    // Greater than `position`, as lesson 04: the client has that one itself.
    for (const message of history.slice(position - oldestKept + 1)) events += messageEvent(message);
    return events;
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
    broadcast(message);
    sendJson(res, 201, message);
  }

  /** A new message to every open stream that does not have it: formatted once, the same bytes for all. */
  function broadcast(message: Message): void {
    const bytes = Buffer.from(messageEvent(message));
    for (const stream of [...streams]) {
      if (message.id > stream.position) {
        stream.position = message.id;
        send(stream, bytes);
      }
    }
  }

  /**
   * Writes to one stream, unless its reader has fallen too far behind. What waits in the
   * response's buffer (writableLength) is what the client has not taken yet, beyond what the
   * kernel holds: past maxBufferedBytes the stream is cut, so one stream never holds more
   * than maxBufferedBytes plus one write. Its client reconnects with Last-Event-ID and
   * catches up from the history.
   */
  function send(stream: Stream, bytes: string | Buffer): void {
    const { res } = stream;
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > maxBufferedBytes) {
      forget(stream);
      res.destroy();
      return;
    }
    res.write(bytes);
  }

  function beat(): void {
    for (const stream of [...streams]) send(stream, PING);
  }

  /** The maximum age: ended politely; the client reconnects after `retry` and loses nothing. */
  function endStream(stream: Stream): void {
    forget(stream);
    endWithin(stream.res, endGraceMs, ': reconnect\n\n');
  }

  /** Forgets a stream at once: out of the set, its timer cleared, and the heartbeat with the last one. */
  function forget(stream: Stream): void {
    if (!streams.delete(stream)) return;
    clearTimeout(stream.maxAge);
    // The connection may carry more requests (keep-alive): leave no listener on it.
    stream.res.req.socket.off('close', stream.onGone);
    if (streams.size === 0) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  const app: http.RequestListener = (req, res) => {
    const { path, query } = splitUrl(req.url);
    if (req.method === 'GET' && path === '/events') onEvents(req, query, res);
    else if (req.method === 'POST' && path === '/messages') onPost(req, res).catch((error: unknown) => sendError(res, error));
    else if (req.method === 'GET' && path === '/stats') sendJson(res, 200, { streams: streams.size } satisfies Stats);
    else sendJson(res, 404, { error: `There is no route ${req.method} ${path}.` });
  };
  return Object.assign(app, {
    shutdown() {
      shuttingDown = true;
      for (const stream of [...streams]) {
        forget(stream);
        endWithin(stream.res, endGraceMs);
      }
    },
    kept: () => history.slice(),
  });
}

/** The client's position (Last-Event-ID or lastEventId) as a whole number ≥ 0, or undefined for anything else. */
export function parseLastEventId(raw: unknown): number | undefined {
  // As lesson 04's `after`: 1 to 15 digits, nothing else ("-1", "1.5", "abc", "", a
  // repeated query parameter, which arrives as an array).
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * True when there is no Accept header, or when it accepts text/event-stream. The most specific
 * range it names decides (text/event-stream, then text/*, then *\/*), and q=0 means "not this":
 * `text/event-stream;q=0, *\/*` refuses the stream although *\/* alone would take it.
 */
export function acceptsEventStream(accept: string | undefined): boolean {
  if (accept === undefined) return true;
  const quality = new Map<string, number>();
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    quality.set(type, q === undefined ? 1 : Number(q.slice(2)));
  }
  const decisive = ['text/event-stream', 'text/*', '*/*'].find((type) => quality.has(type));
  return decisive !== undefined && quality.get(decisive)! > 0;
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
// Given: the options' check, and an end that cannot hang.

/** The longest delay Node's timers take: a longer one overflows and fires after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/** Throws a RangeError unless the option `name` is a whole number from `min` to `max`. */
function wholeNumber(name: string, value: unknown, min: number, max: number): void {
  if (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max) return;
  throw new RangeError(`The option ${name} must be a whole number from ${min} to ${max}, not ${String(value)}.`);
}

/**
 * Ends a response politely, and cuts it if it has not reached its client within `graceMs`:
 * an end a client never reads is no end, and would hold the connection and its buffers for
 * ever. The timer goes as soon as the response is finished or closed.
 */
function endWithin(res: http.ServerResponse, graceMs: number, last = ''): void {
  res.end(last);
  if (res.writableFinished || res.destroyed) return;
  const grace = setTimeout(() => res.destroy(), graceMs);
  const clear = (): void => clearTimeout(grace);
  res.once('finish', clear);
  res.once('close', clear);
}

// ---------------------------------------------------------------------------------------
// Given: HTTP without a framework — JSON answers as bytes, and JSON bodies read with a limit
// (lesson 04's, unchanged).

const MAX_BODY_BYTES = 16 * 1024;

/** Answers with JSON unless the client is gone. */
function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const bytes = Buffer.from(JSON.stringify(body));
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
