/**
 * Lesson 02 — held requests: the server keeps each poll open until it has something to say.
 *
 * Your task: TODOs 1 to 5 below. The lesson text (README.md) gives the contract;
 * `npm run verify -- 2` grades your work.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import { MAX_TEXT_LENGTH, type Message, type PollAnswer } from './protocol.ts';

/** Builds the lesson's app. Each call starts with no messages and no waiting polls. */
export function createApp(): express.Express {
  const messages: Message[] = [];
  // TODO 1: the polls this app is holding (the responses not answered yet) need a place
  //   that belongs to this app alone — two apps in one process share no poll.
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  app.get('/poll', (_req, res) => {
    // TODO 2: a poll waits for the *next* message: it is not answered now (not even with an
    //   old message), but kept until a message is posted. /stats must count it.
    res.status(501).json({ error: 'GET /poll is not written yet (lessons/02-held-requests/server.ts)' });
  });

  app.post('/messages', (req, res) => {
    const problem = problemWithNewMessage(req.body);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    const message: Message = { id: messages.length + 1, text: req.body.text, time: Date.now() };
    messages.push(message);
    // TODO 3: at once, every poll held right now gets { message } (a PollAnswer) — all of
    //   them, each once (a response can be answered only once) — and none is held any more.
    // TODO 4: the poster gets its own answer: 201 and the stored message, whether or not
    //   anyone was waiting.
    res.status(501).json({ error: 'POST /messages is not finished yet (lessons/02-held-requests/server.ts)' });
  });

  app.get('/stats', (_req, res) => {
    // TODO 5: { waiting }: how many polls are held right now (answered ones do not count).
    res.status(501).json({ error: 'GET /stats is not written yet (lessons/02-held-requests/server.ts)' });
  });

  app.use(unknownRoute);
  app.use(errorAsJson);
  return app;
}

// Used by TODO 1 and TODO 3; remove these two lines when you use them.
export type { Response as HeldResponse, PollAnswer };

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
// Given: errors as JSON. Express answers unknown routes and unreadable bodies with HTML;
// these two make every error a small JSON object that a client can read.

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
