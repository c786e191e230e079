/**
 * Lesson 01 — the server of naive polling: a message board that answers at once.
 *
 * Your task: TODOs 1 to 4 below. The lesson text (README.md) gives the contract;
 * `npm run verify -- 1` grades your work.
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
    // TODO 2: a body with a problem (TODO 1 names it) is refused: 400 and { error }, and it
    //   leaves no trace — nothing stored, no id used up. Clients find new messages by their
    //   ids, so ids must have no holes.
    // TODO 3: a good message is kept by this app (the board starts empty for every app) as
    //   { id, text, time }: ids 1, 2, 3, … in the order posted, time when it was stored.
    //   The poster gets 201 and the stored message, so it learns its id.
    void messages;
    res.status(501).json({ error: 'POST /messages is not written yet (lessons/01-naive-polling/server.ts)' });
  });

  app.get('/messages', (_req, res) => {
    // TODO 4: every message this app has, oldest first, as { messages }: the client finds
    //   what is new to it by itself.
    res.status(501).json({ error: 'GET /messages is not written yet (lessons/01-naive-polling/server.ts)' });
  });

  app.use(unknownRoute);
  app.use(errorAsJson);
  return app;
}

/** Says what is wrong with a new message's body, or returns undefined when it is fine. */
export function problemWithNewMessage(body: unknown): string | undefined {
  // TODO 1: what the server stores is shown to everyone, so it must be a message: a JSON
  //   object whose `text` is a string, not empty nor only spaces, and at most
  //   MAX_TEXT_LENGTH characters as sent (spaces count). For anything else, say what is
  //   wrong in a sentence the client can show; undefined means the body is fine.
  void body;
  void MAX_TEXT_LENGTH;
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
