/**
 * How graders talk to a learner's server: every call has a time limit, and a call that
 * is not answered (or fails) becomes a failure message that names the route.
 *
 * @module
 */
import { describeError, fail, show } from './failure.ts';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly body: unknown;
  /** Milliseconds from sending to having the whole body. */
  readonly ms: number;
}

export interface CallOptions {
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is (for malformed bodies); set the content type in `headers`. */
  body?: string;
  headers?: Record<string, string>;
}

export type Outcome = { kind: 'reply'; reply: Reply } | { kind: 'error'; error: unknown; ms: number };

/** A request that may be held by the server: look at it, wait for it, or abort it. */
export interface PendingCall {
  readonly route: string;
  /** Resolves (never rejects) with the reply or the network error. */
  readonly outcome: Promise<Outcome>;
  /** The outcome if it has arrived, otherwise undefined. */
  settled(): Outcome | undefined;
  abort(): void;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sends a request and returns at once; the server may take as long as it likes. */
export function startCall(baseUrl: string, method: string, path: string, options: CallOptions = {}): PendingCall {
  const controller = new AbortController();
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const started = performance.now();
  let result: Outcome | undefined;
  const outcome = (async (): Promise<Outcome> => {
    try {
      const response = await fetch(baseUrl + path, { method, headers, body, signal: controller.signal });
      const text = await response.text();
      const reply = { status: response.status, headers: response.headers, text, body: parseJson(text), ms: performance.now() - started };
      return { kind: 'reply', reply };
    } catch (error) {
      return { kind: 'error', error, ms: performance.now() - started };
    }
  })().then((value) => (result = value));
  return { route: `${method} ${path}`, outcome, settled: () => result, abort: () => controller.abort() };
}

/**
 * Sends a request and waits for the whole answer, at most `withinMs`. No answer in time, or
 * a broken connection, fails the test with a message naming the route.
 */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions & { withinMs?: number } = {},
): Promise<Reply> {
  const withinMs = options.withinMs ?? 1000;
  const pending = startCall(baseUrl, method, path, options);
  const timer = setTimeout(() => pending.abort(), withinMs);
  const outcome = await pending.outcome;
  clearTimeout(timer);
  if (outcome.kind === 'reply') return outcome.reply;
  if (outcome.ms >= withinMs - 1) {
    fail({
      expected: `an answer to ${pending.route} within ${withinMs} ms`,
      actual: 'no answer: the request was still open. A handler must answer every request it does not mean to hold.',
    });
  }
  fail({
    expected: `an answer to ${pending.route}`,
    actual: `the connection failed: ${describeError(outcome.error)}. Did the server crash or close the connection?`,
  });
}

/** Waits for a pending call's outcome, at most `withinMs`; undefined when it is still open. */
export function outcomeWithin(pending: PendingCall, withinMs: number): Promise<Outcome | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), withinMs)));
  return Promise.race([pending.outcome, late]).finally(() => clearTimeout(timer));
}

/** "status 501 with {"error":"..."}": a reply as a failure message shows it. */
export function describeReply(reply: Reply): string {
  const body = reply.body === undefined ? (reply.text === '' ? 'an empty body' : show(reply.text)) : show(reply.body);
  return `status ${reply.status} with ${body}`;
}
