/**
 * When a lesson's server throws, its own error handler answers only "The server failed.":
 * the workshop server must still write the real error, with its stack, to its terminal.
 * A learner's lesson 01 whose GET /messages throws is served by the real workshop server.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { listen, type Listening } from '../../shared/http.ts';
import { workRoot } from '../../shared/paths.ts';
import { createWorkshop, type Workshop } from '../../shared/workshop-server.ts';

const target = path.join(workRoot, `errors-${randomUUID().slice(0, 8)}`);
const marker = `the learner's bug ${randomUUID()}`;
const logged: string[] = [];
let workshop: Workshop;
let listening: Listening;

const server = `import express, { type ErrorRequestHandler } from 'express';

/** As the lessons' own errorAsJson: a 4xx for a bad request, otherwise only "The server failed." */
const hidesTheError: ErrorRequestHandler = (error: { status?: number }, _req, res, _next) => {
  const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  res.status(status).json({ error: status === 500 ? 'The server failed.' : 'The request could not be read.' });
};

export function createApp() {
  const app = express();
  app.use(express.json());
  app.get('/messages', () => {
    throw new Error(${JSON.stringify(marker)});
  });
  app.use(hidesTheError);
  return app;
}
`;

beforeAll(async () => {
  mkdirSync(path.join(target, '01-naive-polling'), { recursive: true });
  writeFileSync(path.join(target, '01-naive-polling', 'server.ts'), server);
  workshop = await createWorkshop({ target, built: true, dataRoot: target, log: (text) => logged.push(text) });
  listening = await listen(workshop.app, 0);
});

afterAll(async () => {
  await listening?.close();
  await workshop?.close();
  rmSync(target, { recursive: true, force: true });
});

test("a lesson's error is logged with its stack, though its own handler hides it", async () => {
  const response = await fetch(`${listening.url}/lessons/01-naive-polling/api/messages`);
  expect(response.status, 'the lesson answers as it chose to: 500').toBe(500);
  const line = logged.find((text) => text.includes(marker));
  expect(
    line,
    `Expected the workshop server to log the error thrown in ${path.relative(workRoot, target)}/01-naive-polling/server.ts with its stack; it logged: ${JSON.stringify(logged)}. ` +
      'Look at logLessonErrors() in shared/workshop-server.ts.',
  ).toMatch(/GET \/lessons\/01-naive-polling\/api\/messages failed:\n.*Error: the learner's bug[^]*at .*server\.ts/);
  const bad = await fetch(`${listening.url}/lessons/01-naive-polling/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
  expect(bad.status, 'a body that is not JSON is the request\'s fault, not a server error').toBe(400);
  expect(logged.filter((text) => !text.includes(marker)), 'a 4xx is not logged as a server error').toEqual([]);
});
