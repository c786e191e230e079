/**
 * What happened, recorded: every HTTP exchange a test makes with the learner's code, with
 * times relative to the test's start, so a failure can be drawn (timeline-text.ts, the site).
 *
 * Nothing in the learner's code is patched. Node publishes HTTP events on
 * `node:diagnostics_channel`; the recorder listens only while a test runs:
 * - `http.server.request.*`: every request reaching an in-process server — the learner's own
 *   server, and the grader's scripted servers that the learner's client talks to;
 * - `undici:request:*` (fetch, the npm eventsource client) and `http.client.*` (node:http):
 *   requests to servers in other processes (a lesson's main.ts, the relay's agent). A client
 *   request to an in-process server is the same exchange seen twice, so it is dropped.
 *
 * Graders add what they observe of the learner's client (`note`), and a failing check marks
 * the moment something was expected (`markExpected`).
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import type http from 'node:http';

/** One request and its answer, as far as it got. Times in ms since the test started. */
export interface RecordedExchange {
  /** What the request was: `GET /poll?after=3`. */
  readonly label: string;
  readonly start: number;
  /** The answer's headers left (the first byte of the answer). */
  headersAt?: number;
  /** The answer ended. */
  end?: number;
  /** The request was aborted or its connection closed before the answer ended. */
  closedAt?: number;
  status?: number;
  /** When body chunks left, for streams (at most CHUNKS_KEPT). */
  readonly chunks: number[];
  /** The first bytes of the answer's body, as text. */
  body: string;
}

/** Something the grader saw the learner's client do (a callback, a request). */
export interface RecordedNote {
  readonly at: number;
  readonly label: string;
}

export interface Recording {
  readonly exchanges: RecordedExchange[];
  readonly notes: RecordedNote[];
  /** The moment a check failed (or the time limit), and what the test was doing then. */
  expected?: { at: number; what: string };
  /** Exchanges past the bound: counted, not kept. */
  dropped: number;
  /** The test waited for requests from the learner's client (a scripted server was up): none is news too. */
  awaitsClient?: boolean;
}

const MAX_EXCHANGES = 5000;
const MAX_NOTES = 200;
const CHUNKS_KEPT = 200;
const BODY_KEPT = 120;

let current: { recording: Recording; t0: number; ownPorts: Set<number> } | undefined;

const now = (): number => Math.round((performance.now() - current!.t0) * 10) / 10;

function add(label: string): RecordedExchange | undefined {
  const recording = current!.recording;
  if (recording.exchanges.length >= MAX_EXCHANGES) {
    recording.dropped += 1;
    return undefined;
  }
  const exchange: RecordedExchange = { label, start: now(), chunks: [], body: '' };
  recording.exchanges.push(exchange);
  return exchange;
}

function keepBody(exchange: RecordedExchange, chunk: unknown): void {
  if (current === undefined) return;
  if (exchange.chunks.length < CHUNKS_KEPT) exchange.chunks.push(now());
  if (exchange.body.length < BODY_KEPT && chunk != null && typeof chunk !== 'function') {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString() : '';
    exchange.body = (exchange.body + text).slice(0, BODY_KEPT);
  }
}

/** A request reached an in-process server: follow its answer on the response object itself. */
function onServerRequest(message: unknown): void {
  if (current === undefined) return;
  const { request, response, server } = message as { request: http.IncomingMessage; response: http.ServerResponse; server: http.Server };
  const address = server.address();
  if (address && typeof address === 'object') current.ownPorts.add(address.port);
  const exchange = add(`${request.method} ${request.url}`);
  if (!exchange) return;
  const firstByte = (): void => void (exchange.headersAt ??= now());
  const { write, end, flushHeaders } = response;
  // Only this response's methods are wrapped, and only to note the time and the first bytes.
  response.write = function (this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
    firstByte();
    keepBody(exchange, chunk);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof response.write;
  response.end = function (this: http.ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    firstByte();
    if (typeof chunk !== 'function') keepBody(exchange, chunk);
    return (end as (...a: unknown[]) => http.ServerResponse).call(this, chunk, ...rest);
  } as typeof response.end;
  response.flushHeaders = function (this: http.ServerResponse) {
    firstByte();
    return flushHeaders.call(this);
  };
  response.once('finish', () => {
    if (current === undefined) return;
    exchange.status = response.statusCode;
    exchange.end = now();
  });
  response.once('close', () => {
    if (current !== undefined && !response.writableFinished) exchange.closedAt = now();
  });
}

/** fetch's requests (undici), to servers in other processes; matched to their events by object. */
const undiciExchanges = new WeakMap<object, { exchange: RecordedExchange; port: number }>();
const clientExchanges: Array<{ exchange: RecordedExchange; port: number }> = [];

function onUndiciCreate(message: unknown): void {
  if (current === undefined) return;
  const { request } = message as { request: { origin: string; method: string; path: string } };
  const exchange = add(`${request.method} ${request.path}`);
  if (!exchange) return;
  const entry = { exchange, port: Number(new URL(request.origin).port) };
  undiciExchanges.set(request, entry);
  clientExchanges.push(entry);
}

function onUndiciHeaders(message: unknown): void {
  const { request, response } = message as { request: object; response: { statusCode: number } };
  const entry = undiciExchanges.get(request);
  if (current === undefined || !entry) return;
  entry.exchange.headersAt = now();
  entry.exchange.status = response.statusCode;
}

function onUndiciEnd(message: unknown, failed: boolean): void {
  const entry = undiciExchanges.get((message as { request: object }).request);
  if (current === undefined || !entry) return;
  if (failed) entry.exchange.closedAt = now();
  else entry.exchange.end = now();
}

/** node:http client requests (Faye's client, the relay's agent, raw graders' helpers). */
function onHttpClientStart(message: unknown): void {
  if (current === undefined) return;
  const { request } = message as { request: http.ClientRequest };
  const exchange = add(`${request.method} ${request.path}`);
  if (!exchange) return;
  const port = Number(String(request.getHeader('host') ?? '').split(':')[1] ?? 80);
  clientExchanges.push({ exchange, port });
  request.once('response', (response: http.IncomingMessage) => {
    if (current === undefined) return;
    exchange.headersAt = now();
    exchange.status = response.statusCode;
    response.once('end', () => void (current && (exchange.end = now())));
  });
  request.once('close', () => void (current && exchange.end === undefined && (exchange.closedAt = now())));
}

const channels: Array<[string, (message: unknown) => void]> = [
  ['http.server.request.start', onServerRequest],
  ['undici:request:create', onUndiciCreate],
  ['undici:request:headers', onUndiciHeaders],
  ['undici:request:trailers', (message) => onUndiciEnd(message, false)],
  ['undici:request:error', (message) => onUndiciEnd(message, true)],
  ['http.client.request.start', onHttpClientStart],
];

/** Starts recording for the test that starts now; `stopRecording` ends it and returns what was seen. */
export function startRecording(): void {
  current = { recording: { exchanges: [], notes: [], dropped: 0 }, t0: performance.now(), ownPorts: new Set() };
  clientExchanges.length = 0;
  for (const [name, listener] of channels) diagnostics.subscribe(name, listener);
}

export function stopRecording(): Recording {
  for (const [name, listener] of channels) diagnostics.unsubscribe(name, listener);
  const { recording, ownPorts } = current ?? { recording: { exchanges: [], notes: [], dropped: 0 }, ownPorts: new Set<number>() };
  current = undefined;
  // A client request to an in-process server was recorded there already, with more detail.
  const twice = new Set(clientExchanges.filter((entry) => ownPorts.has(entry.port)).map((entry) => entry.exchange));
  clientExchanges.length = 0;
  return { ...recording, exchanges: recording.exchanges.filter((exchange) => !twice.has(exchange)) };
}

/** A scripted server is up for the learner's client: a test without any request is worth drawing. */
export function awaitClient(): void {
  if (current !== undefined) current.recording.awaitsClient = true;
}

/** What the grader saw the learner's client do: `onMessage #1`, `onError`. */
export function note(label: string): void {
  if (current === undefined || current.recording.notes.length >= MAX_NOTES) return;
  current.recording.notes.push({ at: now(), label });
}

/** The moment the test expected something that did not happen (the first failing check wins). */
export function markExpected(what: string): void {
  if (current === undefined) return;
  current.recording.expected ??= { at: now(), what };
}

/** How far an exchange is from a moment: 0 when it spans it. */
function distance(exchange: RecordedExchange, at: number): number {
  const end = exchange.end ?? exchange.closedAt ?? Number.POSITIVE_INFINITY;
  if (exchange.start <= at && at <= end) return 0;
  return Math.min(Math.abs(exchange.start - at), Math.abs(end - at));
}

/**
 * At most `limit` exchanges, those nearest the expected moment (or the end, `span`), still in
 * time order: what matters is what happened around the failure.
 */
export function nearestExchanges(recording: Recording, limit: number, span = Number.POSITIVE_INFINITY): RecordedExchange[] {
  const { exchanges } = recording;
  if (exchanges.length <= limit) return exchanges;
  const at = recording.expected?.at ?? span;
  const nearest = new Set([...exchanges].sort((a, b) => distance(a, at) - distance(b, at) || b.start - a.start).slice(0, limit));
  return exchanges.filter((exchange) => nearest.has(exchange));
}

/** Exchanges kept in a report (JSON, the site): a failed test's recording stays a few tens of KB. */
export const REPORTED_EXCHANGES = 200;

/** The recording as reports carry it: the exchanges nearest the failure, the rest counted. */
export function forReport(recording: Recording): Recording {
  const kept = nearestExchanges(recording, REPORTED_EXCHANGES);
  return { ...recording, exchanges: kept, dropped: recording.dropped + recording.exchanges.length - kept.length };
}
