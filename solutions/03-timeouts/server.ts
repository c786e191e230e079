/**
 * Lesson 03 — nobody waits forever: held polls end after a time limit, polls whose client
 * went away are forgotten, and shutting down tells every waiting client so.
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
    if (shuttingDown) {
      res.json({ status: 'cancelled' } satisfies PollAnswer);
      return;
    }
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
    const poll: HeldPoll = { res, timer: setTimeout(() => answer(poll, { status: 'timeout' }), holdMs) };
    waiting.add(poll);
    // The client may leave first: a closed tab, an aborted fetch, a dropped network.
    // The response's 'close' event fires then, before it was finished: forget the poll,
    // or the list grows with dead responses and their timers. (The request's own 'close'
    // is no use here: it fires as soon as the request body has been read.)
    res.on('close', () => {
      if (!res.writableFinished) forget(poll);
    });
  }

  function forget(poll: HeldPoll): void {
    clearTimeout(poll.timer);
    waiting.delete(poll);
  }

  /** Answers one held poll, once: forgotten first, then written only if still connected. */
  function answer(poll: HeldPoll, body: PollAnswer): void {
    forget(poll);
    if (!poll.res.writableEnded && !poll.res.destroyed) poll.res.json(body);
  }

  function answerEveryPoll(body: PollAnswer): void {
    for (const poll of [...waiting]) answer(poll, body);
  }

  app.use(unknownRoute);
  app.use(errorAsJson);
  return Object.assign(app, {
    shutdown() {
      shuttingDown = true;
      answerEveryPoll({ status: 'cancelled' });
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
// Given: no caching, and errors as JSON.

/** A poll's answer is news for one moment; no browser or proxy may keep it. */
const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
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
