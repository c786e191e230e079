/**
 * Lesson 04 — pick up where you left off: every poll says which message it has last
 * (`after`), and the server answers with everything newer, or holds the poll until there
 * is something. Nothing posted between two polls is lost.
 *
 * Your task: TODOs 1 to 6. Holding, time limits, departures and shutdown are given (they
 * are lesson 03's). `npm run verify -- 4` grades your work.
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
  // TODO 1: start with the last `historyLimit` of initialMessages, and lastId with the id
  //   of the last of them (0 when there are none).
  const history: Message[] = [];
  let lastId = 0;
  void initialMessages;
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
    // TODO 2: keep the message in `history`, and drop the oldest once there are more than
    //   historyLimit. Then answer the held polls (answerHeldPolls).
    void history;
    res.status(201).json(message);
  });

  app.get('/stats', (_req, res) => {
    res.json({ waiting: waiting.size });
  });

  /** What a client holding everything up to `after` is missing; undefined when nothing. */
  function catchUp(after: number): PollAnswer | undefined {
    const oldestKept = history[0]?.id ?? lastId + 1;
    // TODO 3: if messages between `after` and the oldest kept one were dropped
    //   (after < oldestKept - 1), answer { status: "gap", from: after + 1, to: oldestKept - 1 }.
    // TODO 4: otherwise, every kept message with an id greater than `after` (the client
    //   has `after` itself), oldest first, in one { status: "messages", messages } answer;
    //   undefined when there is none. Ids are consecutive: id N is at N - oldestKept.
    void after;
    void oldestKept;
    return undefined;
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
    // TODO 5: for every held poll, work out what it is now missing (catchUp of its own
    //   `after`) and, if anything, answer it with that.
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
  // TODO 6: accept only a string of digits that is an exact whole number; return
  //   undefined for anything else: "-1", "1.5", "1e309", "abc", "", a missing parameter,
  //   or a repeated one (which arrives as an array). For now everything counts as 0.
  void raw;
  return 0;
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
