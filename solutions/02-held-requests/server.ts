/**
 * Lesson 02 — held requests: the server keeps each poll open until it has something to say.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import { MAX_TEXT_LENGTH, type Message, type PollAnswer } from './protocol.ts';

/** Builds the lesson's app. Each call starts with no messages and no waiting polls. */
export function createApp(): express.Express {
  const messages: Message[] = [];
  // The polls we are holding: responses not answered yet. Whoever posts a message
  // answers them all (the "keeper of waiting requests" of the old ASP.NET Comet demos).
  const waiting: Response[] = [];
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  // Hold the poll: remember its response and answer nothing now. The request stays open,
  // costing the server a socket and a little memory but no work, until a message comes.
  app.get('/poll', (_req, res) => {
    waiting.push(res);
  });

  app.post('/messages', (req, res) => {
    const problem = problemWithNewMessage(req.body);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    const message: Message = { id: messages.length + 1, text: req.body.text, time: Date.now() };
    messages.push(message);
    answerEveryWaitingPoll({ message });
    // The poster is answered too: its own acknowledgement, with the stored message.
    res.status(201).json(message);
  });

  app.get('/stats', (_req, res) => {
    res.json({ waiting: waiting.length });
  });

  /** Answers every held poll, now, and forgets them: each poll is answered once. */
  function answerEveryWaitingPoll(answer: PollAnswer): void {
    // splice(0) empties the list and hands back what was in it, in one step.
    for (const held of waiting.splice(0)) held.json(answer);
  }

  app.use(unknownRoute);
  app.use(errorAsJson);
  return app;
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
