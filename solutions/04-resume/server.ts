/**
 * Lesson 04 — pick up where you left off: every poll says which message it has last
 * (`after`), and the server answers with everything newer, or holds the poll until there
 * is something. Nothing posted between two polls is lost.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
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

/** The lesson's app, with a way to end it politely. */
export interface CometApp extends express.Express {
  /** Answers every held poll `{ status: "cancelled" }`, and every later poll too. */
  shutdown(): void;
}

/** A poll being held: its response, the last id its client has, and its time limit. */
interface HeldPoll {
  res: Response;
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
  const app = express();
  app.use(noStore);
  app.use(express.json({ limit: '16kb' }));

  app.get('/poll', (req, res) => {
    const after = parseAfter(req.query.after);
    if (after === undefined) {
      res.status(400).json({ error: 'The query parameter "after" must be a whole number, 0 or more: the id of the last message you have.' });
      return;
    }
    if (shuttingDown) {
      res.json({ status: 'cancelled' } satisfies PollAnswer);
      return;
    }
    const answer = catchUp(after);
    // A client that is behind gets what it is missing at once; one that has everything waits.
    if (answer) res.json(answer);
    else hold(res, after);
  });

  app.post('/messages', (req, res) => {
    const problem = problemWithNewMessage(req.body);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    const message: Message = { id: ++lastId, text: req.body.text, time: Date.now() };
    history.push(message);
    if (history.length > historyLimit) history.shift();
    answerHeldPolls();
    res.status(201).json(message);
  });

  app.get('/stats', (_req, res) => {
    res.json({ waiting: waiting.size });
  });

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

  function hold(res: Response, after: number): void {
    const poll: HeldPoll = { res, after, timer: setTimeout(() => answer(poll, { status: 'timeout' }), holdMs) };
    waiting.add(poll);
    res.on('close', () => {
      if (!res.writableFinished) forget(poll);
    });
  }

  function forget(poll: HeldPoll): void {
    clearTimeout(poll.timer);
    waiting.delete(poll);
  }

  function answer(poll: HeldPoll, body: PollAnswer): void {
    forget(poll);
    if (!poll.res.writableEnded && !poll.res.destroyed) poll.res.json(body);
  }

  /** After a post: every held poll gets what it is now missing (each from its own `after`). */
  function answerHeldPolls(): void {
    for (const poll of [...waiting]) {
      const missing = catchUp(poll.after);
      if (missing) answer(poll, missing);
    }
  }

  app.use(unknownRoute);
  app.use(errorAsJson);
  return Object.assign(app, {
    shutdown() {
      shuttingDown = true;
      for (const poll of [...waiting]) answer(poll, { status: 'cancelled' });
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
// Given: no caching, and errors as JSON.

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

const unknownRoute: RequestHandler = (req, res) => {
  res.status(404).json({ error: `There is no route ${req.method} ${req.path}.` });
};

const errorAsJson: ErrorRequestHandler = (error: { status?: number; message?: string }, _req, res, _next) => {
  const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  const text = status === 500 ? 'The server failed.' : `The request could not be read: ${error.message ?? 'bad request'}.`;
  res.status(status).json({ error: text });
};
