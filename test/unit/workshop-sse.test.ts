/**
 * Lesson 08's demo in the workshop server. Its event stream works through the workshop as it
 * does on the lesson's own server: the response stays open longer than any time limit of the
 * workshop's server and each event arrives as soon as it is posted (nothing compresses or
 * buffers it). `POST /api/lessons/<slug>/restart` makes the lesson's app again with the
 * messages it kept, so that a real EventSource (npm `eventsource`, as in the graders)
 * reconnects with Last-Event-ID and gets every message once; only lessons with an event-stream
 * demo have it, and it, like the stream, refuses a foreign Host.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { EventSource } from 'eventsource';
import { describe, expect, test } from 'vitest';
import { listen } from '../../shared/http.ts';
import { findLesson } from '../../shared/manifest.ts';
import { projectRoot, workRoot } from '../../shared/paths.ts';
import { createWorkshop } from '../../shared/workshop-server.ts';
import { serveWorkshop } from '../support/workshop.ts';

const lesson = findLesson(8)!;
const WHERE = 'shared/workshop-server.ts (the event-stream demo: Restartable, restart, POST /api/lessons/:slug/restart)';
const events = `/lessons/${lesson.slug}/api/events`;

interface RawStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** What has arrived so far, as text. */
  text(): string;
  /** True once the response ended or its connection closed. */
  ended(): boolean;
  /** Resolves once what has arrived satisfies `done`; fails after `ms` with what did. */
  until(done: (text: string) => boolean, ms: number, what: string): Promise<void>;
  close(): void;
}

/** A GET with node:http (no reconnecting client in between): the answer as it comes. */
function openRaw(base: string, route: string, headers: Record<string, string>): Promise<RawStream> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.get({ host: hostname, port, path: route, headers, agent: false }, (response) => {
      let text = '';
      let ended = false;
      const waiters = new Set<() => void>();
      const wake = () => waiters.forEach((waiter) => waiter());
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        wake();
      });
      response.on('close', () => {
        ended = true;
        wake();
      });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: () => text,
        ended: () => ended,
        until: (done, ms, what) =>
          new Promise<void>((settle, fail) => {
            const check = () => {
              if (!done(text) && !ended) return;
              waiters.delete(check);
              clearTimeout(timer);
              if (done(text)) settle();
              else fail(new Error(`The stream ended before ${what}. It carried:\n${text}\nLook at ${WHERE}.`));
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`${what}: not within ${ms} ms. The stream carried:\n${text}\nLook at ${WHERE}.`));
            }, ms);
            waiters.add(check);
            check();
          }),
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}

async function post(base: string, root: string, text: string): Promise<{ id: number; text: string }> {
  const response = await fetch(`${base}/${root}/${lesson.slug}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  expect(response.status, `POST /${root}/${lesson.slug}/api/messages`).toBe(201);
  return (await response.json()) as { id: number; text: string };
}

async function restart(base: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }, slug = lesson.slug): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/api/lessons/${slug}/restart`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A raw request with the Host header given, for the Host check: its status and content type. */
function withHost(base: string, method: string, route: string, host: string, body?: string): Promise<{ status: number; type: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const headers = { host, accept: 'text/event-stream', ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) };
    const request = http.request({ host: hostname, port, path: route, method, headers, agent: false }, (response) => {
      resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? '') });
      response.destroy();
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * A real EventSource on `url`: every message (id and text) in the order it came, and the
 * Last-Event-ID each of its requests sent (undefined for none).
 */
function follow(url: string) {
  const messages: Array<{ id: string; text: string }> = [];
  const sent: Array<string | undefined> = [];
  let opened = 0;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((waiter) => waiter());
  const source = new EventSource(url, {
    fetch: (input, init) => {
      sent.push(init.headers['Last-Event-ID']);
      return fetch(input, init);
    },
  });
  source.addEventListener('open', () => {
    opened++;
    wake();
  });
  source.addEventListener('message', (event) => {
    messages.push({ id: event.lastEventId, text: (JSON.parse(event.data) as { text: string }).text });
    wake();
  });
  const until = (done: () => boolean, what: string, ms = 10_000) =>
    new Promise<void>((settle, fail) => {
      const check = () => {
        if (!done()) return;
        waiters.delete(check);
        clearTimeout(timer);
        settle();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        fail(new Error(`${what}: not within ${ms} ms. Messages: ${JSON.stringify(messages)}; Last-Event-ID sent: ${JSON.stringify(sent)}. Look at ${WHERE}.`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { messages, sent, opened: () => opened, until, close: () => source.close() };
}

describe('the reference solution, as the browser tests serve it', () => {
  const dataRoot = path.join(workRoot, `sse-demo-${randomUUID().slice(0, 8)}`);
  const served = serveWorkshop({ target: 'solutions', dataRoot }, dataRoot);

  test('a stream through the workshop stays open past every time limit of its server, and carries each event as soon as it is posted', { timeout: 60_000 }, async () => {
    const base = served.listening.url;
    // Asking for compression: a compressing middleware would hold the events back until it had enough to compress.
    const stream = await openRaw(base, events, { accept: 'text/event-stream', 'accept-encoding': 'gzip, deflate, br' });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.headers['content-encoding'], 'the stream is not compressed (compression buffers)').toBeUndefined();
      await stream.until((text) => text.includes('retry:'), 2000, 'the retry line, written at once');
      const first = await post(base, 'lessons', `first ${randomUUID()}`);
      await stream.until((text) => text.includes(first.text), 2000, 'the first message’s event, as soon as it was posted');
      // Longer than keep-alive (5 s, Node's default), and than the time limits on receiving a
      // request (shared/http.ts: 10 s), plus one round of Node's check of them (2.5 s): none
      // of them may end a response that is still being written.
      const { keepAliveTimeout, requestTimeout, headersTimeout, timeout } = served.listening.server;
      const past = Math.max(5000, keepAliveTimeout, requestTimeout, headersTimeout, timeout) + 3000;
      await new Promise((resolve) => setTimeout(resolve, past)); // the time measured, not a wait for something
      expect(stream.ended(), `the stream ended within ${past} ms with nothing to send`).toBe(false);
      const second = await post(base, 'lessons', `second ${randomUUID()}`);
      await stream.until((text) => text.includes(second.text), 2000, `the second message’s event, on the same response after ${past} ms`);
    } finally {
      stream.close();
    }
  });

  test('a restart keeps the history: the EventSource reconnects with Last-Event-ID and gets each message once, in order', async () => {
    const base = served.listening.url;
    const tag = randomUUID();
    const before = [await post(base, 'solutions', `${tag} one`), await post(base, 'solutions', `${tag} two`)];
    const source = follow(`${base}/solutions/${lesson.slug}/api/events`);
    try {
      const tagged = () => source.messages.filter((m) => m.text.startsWith(tag));
      await source.until(() => tagged().length === 2, 'the two messages posted before, on the first connection (the kept history)');
      const answer = await restart(base, { root: 'solutions' });
      expect(answer.status, `POST /api/lessons/${lesson.slug}/restart: ${JSON.stringify(answer.body)}`).toBe(200);
      expect(answer.body).toMatchObject({ restarted: lesson.slug, root: 'solutions' });
      expect(answer.body.kept, 'the messages the old app kept').toBeGreaterThanOrEqual(2);
      await source.until(() => source.opened() === 2, 'a second connection: the EventSource reconnects by itself once the old app ended its stream');
      const after = [await post(base, 'solutions', `${tag} three`), await post(base, 'solutions', `${tag} four`)];
      await source.until(() => tagged().length >= 4, 'the two messages posted after the restart');
      expect(after[0]!.id, 'the new app continues the ids of the kept history').toBe(before[1]!.id + 1);
      expect(tagged().map((m) => m.text)).toEqual(['one', 'two', 'three', 'four'].map((n) => `${tag} ${n}`));
      const ids = source.messages.map((m) => Number(m.id));
      expect(new Set(ids).size, `no message twice: ${ids.join(', ')}`).toBe(ids.length);
      expect(source.sent, 'the first request sends no Last-Event-ID; the reconnect sends the last id it had').toEqual([undefined, String(before[1]!.id)]);
    } finally {
      source.close();
    }
    // A new client from the start still gets the messages posted before the restart: the history was kept.
    const fresh = follow(`${base}/solutions/${lesson.slug}/api/events`);
    try {
      await fresh.until(() => fresh.messages.filter((m) => m.text.startsWith(tag)).length === 4, 'all four messages, for a client from the start');
    } finally {
      fresh.close();
    }
  });

  test('the restart route and the stream refuse a foreign Host', async () => {
    const base = served.listening.url;
    const port = new URL(base).port;
    for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1.nip.io']) {
      const restarted = await withHost(base, 'POST', `/api/lessons/${lesson.slug}/restart`, host, '{"root":"lessons"}');
      expect(restarted, `Host ${host}: POST /api/lessons/${lesson.slug}/restart`).toMatchObject({ status: 403, type: expect.stringMatching(/json/) });
      const stream = await withHost(base, 'GET', events, host);
      expect(stream, `Host ${host}: GET ${events}`).toMatchObject({ status: 403, type: expect.stringMatching(/json/) });
    }
    expect((await withHost(base, 'GET', events, `127.0.0.1:${port}`)).status, 'the local Host is served').toBe(200);
  });

  test('only a lesson with an event-stream demo has a restart route, and it takes only its JSON', async () => {
    const base = served.listening.url;
    for (const slug of ['04-resume', '01-naive-polling', '07-relay', 'no-such-lesson']) {
      const answer = await restart(base, { root: 'lessons' }, undefined, slug);
      expect(answer.status, `POST /api/lessons/${slug}/restart`).toBe(404);
      expect(answer.body.error).toMatch(/no event-stream demo/);
    }
    // A form of another site can send text/plain without asking first: it must not restart the lesson.
    expect((await restart(base, '{"root":"lessons"}', { 'content-type': 'text/plain' })).status, 'not JSON').toBe(415);
    expect((await restart(base, { root: 'elsewhere' })).status, 'an unknown root').toBe(400);
    expect((await restart(base, '{"root":', { 'content-type': 'application/json' })).status, 'JSON that does not parse').toBe(400);
  });
});

describe('a target without the lesson', () => {
  const target = path.join(workRoot, `sse-fallback-${randomUUID().slice(0, 8)}`);
  const served = serveWorkshop({ target, dataRoot: target }, target);

  test('the reference is served in its place, the workshop says why, and a restart makes the reference again', async () => {
    const mounted = served.workshop.mounted.find((m) => m.lesson.slug === lesson.slug);
    expect(mounted?.problem).toBeUndefined();
    expect(mounted?.fallback, 'the reason the target’s code did not start').toContain(`No lesson ${lesson.slug}`);
    const base = served.listening.url;
    const message = await post(base, 'lessons', `kept ${randomUUID()}`);
    const answer = await restart(base, {});
    expect(answer, `the restart of the reference serving in the target's place. Look at ${WHERE}.`).toMatchObject({ status: 200, body: { root: 'lessons' } });
    const stream = await openRaw(base, `${events}?lastEventId=${message.id - 1}`, { accept: 'text/event-stream' });
    try {
      await stream.until((text) => text.includes(message.text), 5000, 'the message posted before the restart');
    } finally {
      stream.close();
    }
  });
});

/** A target folder whose lesson 08 is the reference's createApp() wrapped: `body` is the wrapper's, with `reference` and `options` in scope. */
function wrappedReference(target: string, body: string, kind: 'async' | 'sync' = 'sync'): void {
  mkdirSync(path.join(target, lesson.slug), { recursive: true });
  const reference = path.join(projectRoot, 'solutions', lesson.slug, 'server.ts');
  const signature = `export ${kind === 'async' ? 'async ' : ''}function createApp(options: { initialMessages?: unknown[] } = {})`;
  writeFileSync(path.join(target, lesson.slug, 'server.ts'), `import { createApp as reference } from ${JSON.stringify(reference)};\n${signature} {\n${body}\n}\n`);
}

describe('a flood of restarts', () => {
  test('restarts asked for at once are one restart: each is answered 200, and the app that serves after them is the one the workshop shuts down', async () => {
    // A createApp() that resolves later (a Promise, as a learner's may): the reference's returns at once, leaving no room between restarts.
    const dataRoot = path.join(workRoot, `sse-flood-${randomUUID().slice(0, 8)}`);
    wrappedReference(dataRoot, '  await new Promise((resolve) => setImmediate(resolve));\n  return reference(options);', 'async');
    const workshop = await createWorkshop({ target: dataRoot, built: true, dataRoot, log: () => undefined });
    const listening = await listen(workshop.app, 0);
    let stream: RawStream | undefined;
    let closed = false;
    try {
      const base = listening.url;
      expect(workshop.mounted.find((m) => m.lesson.slug === lesson.slug)?.fallback, 'the target’s own code runs').toBeUndefined();
      const message = await post(base, 'lessons', `kept ${randomUUID()}`);
      const answers = await Promise.all(Array.from({ length: 20 }, () => restart(base, { root: 'lessons' })));
      const wrong = answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`);
      expect(wrong, `restarts asked for at once. Look at ${WHERE}.`).toEqual([]);
      stream = await openRaw(base, `${events}?lastEventId=${message.id - 1}`, { accept: 'text/event-stream' });
      await stream.until((text) => text.includes(message.text), 5000, 'the message posted before the restarts');
      // Closing the workshop shuts its lessons' apps down, which ends their streams: the app
      // serving now must be among them (two restarts at once once lost track of it).
      closed = true;
      await workshop.close();
      await stream.until(() => stream!.ended(), 5000, 'the end of the stream when the workshop closed');
    } finally {
      stream?.close();
      await listening.close();
      if (!closed) await workshop.close();
      rmSync(dataRoot, { recursive: true, force: true });
    }
  });
});

describe('a restart that fails', () => {
  // A learner's createApp that works once, and throws when it is made again with the kept messages.
  const target = path.join(workRoot, `sse-failing-${randomUUID().slice(0, 8)}`);
  const served = serveWorkshop({ target, dataRoot: target }, target, () =>
    wrappedReference(target, "  if (options.initialMessages?.length) throw new Error('made again, it fails');\n  return reference(options);"),
  );

  test('is a 500 that says why, and the app that was serving goes on: its streams stay open and carry new messages', async () => {
    const base = served.listening.url;
    expect(served.workshop.mounted.find((m) => m.lesson.slug === lesson.slug)?.fallback, 'the target’s own code runs').toBeUndefined();
    const first = await post(base, 'lessons', `first ${randomUUID()}`);
    const stream = await openRaw(base, `${events}?lastEventId=${first.id - 1}`, { accept: 'text/event-stream' });
    try {
      await stream.until((text) => text.includes(first.text), 5000, 'the first message');
      const answer = await restart(base, { root: 'lessons' });
      expect(answer, `a restart whose createApp throws. Look at ${WHERE}.`).toMatchObject({ status: 500, body: { error: expect.stringContaining('made again, it fails') } });
      const second = await post(base, 'lessons', `second ${randomUUID()}`);
      await stream.until((text) => text.includes(second.text), 5000, 'a message posted after the failed restart, on the stream opened before it (the old app must not have been shut down)');
      const again = await openRaw(base, `${events}?lastEventId=${first.id - 1}`, { accept: 'text/event-stream' });
      try {
        expect(again.status, 'a new stream after the failed restart').toBe(200);
      } finally {
        again.close();
      }
    } finally {
      stream.close();
    }
  });
});
