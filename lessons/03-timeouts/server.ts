/**
 * Lesson 03 — nobody waits forever: held polls end after a time limit, polls whose client
 * went away are forgotten, and shutting down tells every waiting client so.
 *
 * Your task: TODOs 1 to 7. The lesson text (README.md) gives the contract;
 * `npm run verify -- 3` grades your work.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import { DEFAULT_HOLD_MS, MAX_TEXT_LENGTH, type Message, type PollAnswer } from './protocol.ts';

export interface AppOptions {
  /** How long a poll is held before it is answered `{ status: "timeout" }`. */
  holdMs?: number;
}

/** The lesson's app, with a way to end it politely. */
export interface CometApp extends express.Express {
  /** Answers every held poll `{ status: "cancelled" }`, and every later poll too. */
  shutdown(): void;
}

/** A poll being held: its response, and the timer that will end it. */
interface HeldPoll {
  res: Response;
  timer: NodeJS.Timeout;
}

/** Builds the lesson's app. Each call starts with no messages and no waiting polls. */
export function createApp({ holdMs = DEFAULT_HOLD_MS }: AppOptions = {}): CometApp {
  const messages: Message[] = [];
  const waiting = new Set<HeldPoll>();
  let shuttingDown = false;
  const app = express();
  app.use(noStore);
  app.use(express.json({ limit: '16kb' }));

  app.get('/poll', (_req, res) => {
    // TODO 6 (second half): a poll that arrives once this app is shutting down is not held:
    //   it gets the same answer as the held ones, 200 { status: "cancelled" }, at once.
    void shuttingDown;
    hold(res);
  });

  app.post('/messages', (req, res) => {
    const problem = problemWithNewMessage(req.body);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    const message: Message = { id: messages.length + 1, text: req.body.text, time: Date.now() };
    messages.push(message);
    answerEveryPoll({ status: 'message', message });
    res.status(201).json(message);
  });

  app.get('/stats', (_req, res) => {
    res.json({ waiting: waiting.size });
  });

  /** Holds a poll until a message, its time limit, or the client's departure. */
  function hold(res: Response): void {
    // TODO 1: nobody waits forever: holdMs after it arrived (25 s when the option is left
    //   out), a poll still held is answered { status: "timeout" }.
    const poll: HeldPoll = { res, timer: setTimeout(() => undefined, holdMs) };
    waiting.add(poll);
    // TODO 2: a client may leave first (closed tab, aborted fetch). Its poll must then be
    //   forgotten at once — /stats stops counting it, its timer is cleared — without waiting
    //   for holdMs. The response's 'close' event tells you; res.writableFinished tells a
    //   departure from a normal end.
  }

  function forget(poll: HeldPoll): void {
    // TODO 3: after forget(poll), nothing of the poll is left: not in `waiting`, and no timer
    //   pending (a pending timer keeps Node running, and would answer the poll later).
    void poll;
  }

  /** Answers one held poll, once: forgotten first, then written only if still connected. */
  function answer(poll: HeldPoll, body: PollAnswer): void {
    // TODO 4: a poll is answered at most once, and only while its client is there: a message,
    //   its timer and a departure may race. A second res.json() on one response throws, and
    //   inside a timer that ends the process.
    forget(poll);
    poll.res.json(body);
  }

  function answerEveryPoll(body: PollAnswer): void {
    for (const poll of [...waiting]) answer(poll, body);
  }

  app.use(unknownRoute);
  app.use(errorAsJson);
  return Object.assign(app, {
    shutdown() {
      // TODO 5: from now on this app is shutting down (this app only: two apps share nothing),
      // TODO 6: and every poll it holds is answered 200 { status: "cancelled" }, leaving none.
    },
  });
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
// Given: errors as JSON. Yours: TODO 7, no caching.

/** A poll's answer is news for one moment; no browser or proxy may keep it. */
const noStore: RequestHandler = (_req, res, next) => {
  // TODO 7: no browser or proxy may keep any answer of this app (a stale poll answer is
  //   false news): every response carries Cache-Control: no-store.
  next();
};

const unknownRoute: RequestHandler = (req, res) => {
  res.status(404).json({ error: `There is no route ${req.method} ${req.path}.` });
};

const errorAsJson: ErrorRequestHandler = (error: { status?: number; message?: string }, _req, res, _next) => {
  const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  // A 500 hides the real error from the client: log it, with its stack, for whoever runs the server.
  if (status === 500) console.error(error);
  const text = status === 500 ? 'The server failed.' : `The request could not be read: ${error.message ?? 'bad request'}.`;
  res.status(status).json({ error: text });
};
