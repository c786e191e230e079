/**
 * Lesson 01 — the server of naive polling: a message board that answers at once.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { MAX_TEXT_LENGTH, type Message } from './protocol.ts';

/** Builds the lesson's app. Each call starts with an empty board. */
export function createApp(): express.Express {
  const messages: Message[] = [];
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  app.post('/messages', (req, res) => {
    const problem = problemWithNewMessage(req.body);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    const message: Message = { id: messages.length + 1, text: req.body.text, time: Date.now() };
    messages.push(message);
    res.status(201).json(message);
  });

  // Naive polling: the server answers at once with everything it has, whether or not
  // anything is new. The client has to find out what it has not seen yet.
  app.get('/messages', (_req, res) => {
    res.json({ messages });
  });

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
