/**
 * How graders reach the learner's code: load a named export from a lesson file (failing
 * with a clear message when it is missing), and serve the lesson's app on a free port.
 *
 * @module
 */
import type http from 'node:http';
import { listen, type Listening } from '../http.ts';
import { check, describeError, fail, show } from './failure.ts';
import { note } from './recording.ts';
import type { TestContext } from './types.ts';

/** Loads `name` from `file` in the lesson folder and checks that it is a function. */
export async function loadFunction<F extends (...args: never[]) => unknown>(
  ctx: TestContext,
  file: string,
  name: string,
): Promise<F> {
  const module = await ctx.load<Record<string, unknown>>(file);
  const value = module[name];
  if (typeof value !== 'function') {
    fail({
      expected: `${file} to export a function named ${name}`,
      actual: value === undefined ? `${file} exports no ${name}` : `${name} is a ${typeof value}`,
      look: `${file}: keep the line \`export function ${name}(...)\` from the starter.`,
    });
  }
  return value as F;
}

/**
 * Builds the lesson's app with `factory(...args)` from `server.ts`, serves it on 127.0.0.1
 * with a free port, and closes it (with every connection) when the test ends.
 */
export async function serveLesson<App = http.RequestListener>(
  ctx: TestContext,
  factory = 'createApp',
  ...args: unknown[]
): Promise<Listening & { app: App }> {
  ctx.step(`building the app with ${factory}() from server.ts`);
  const create = await loadFunction<(...a: unknown[]) => unknown>(ctx, 'server.ts', factory);
  let app: unknown;
  try {
    app = await create(...args);
  } catch (error) {
    fail({
      expected: `${factory}() to return the app`,
      actual: `it threw ${describeError(error)}`,
      look: `server.ts: ${factory}()`,
    });
  }
  if (typeof app !== 'function') {
    fail({
      expected: `${factory}() to return the request handler: an express app, or a function (req, res)`,
      actual: `it returned ${app === undefined ? 'nothing' : typeof app}`,
      look: `server.ts: end ${factory}() with \`return app;\``,
    });
  }
  ctx.step('starting the server on a free port');
  const listening = await listen(app as http.RequestListener);
  ctx.defer(() => listening.close());
  return { ...listening, app: app as App };
}

/** Collects what a lesson's client delivers, to hand it `onMessage` and `onError`. */
export interface Recorder<M> {
  readonly messages: M[];
  readonly errors: unknown[];
  onMessage(message: M): void;
  onError(error: unknown): void;
}

export function recorder<M>(): Recorder<M> {
  const messages: M[] = [];
  const errors: unknown[] = [];
  return {
    messages,
    errors,
    // Each call is also a mark on the failure timeline's "your client" lane.
    onMessage: (message) => void (messages.push(message), note('onMessage')),
    onError: (error) => void (errors.push(error), note('onError')),
  };
}

/**
 * Fails when onError was called more than `before` times: stopping a client aborts its
 * request, and that AbortError is no failure to report.
 */
export function checkNoErrorSince(seen: Recorder<unknown>, before: number, look?: string): void {
  check(seen.errors.length === before, {
    expected: 'no onError call caused by stop() itself (the aborted request is not a failure to report)',
    actual: `onError was called with ${show(seen.errors.slice(before).map(String))}`,
    ...(look ? { look } : {}),
  });
}

/** A started client of a lesson: its handle and what it delivered. */
export interface ClientUnderTest<M> {
  readonly poller: { stop(): void };
  readonly seen: Recorder<M>;
}

/**
 * Starts the lesson's client `name` from `client.ts` with `options` plus a recording
 * onMessage and onError, and stops it when the test ends.
 */
export async function startLessonClient<M>(
  ctx: TestContext,
  name: string,
  options: Record<string, unknown>,
): Promise<ClientUnderTest<M>> {
  const start = await loadFunction<(options: Record<string, unknown>) => unknown>(ctx, 'client.ts', name);
  const seen = recorder<M>();
  ctx.step(`starting your client with ${name}()`);
  const poller = start({ ...options, onMessage: seen.onMessage, onError: seen.onError }) as { stop?: unknown } | undefined;
  check(poller && typeof poller.stop === 'function', {
    expected: `${name}() to return an object with a stop() method`,
    actual: `it returned ${show(poller)}`,
    look: `client.ts: return { stop() { ... } } at the end of ${name}().`,
  });
  const handle = poller as { stop(): void };
  ctx.defer(() => handle.stop());
  return { poller: handle, seen };
}

/**
 * Starts the lesson's client `name` with exactly `options` (no recording callbacks added: for
 * tests of optional callbacks and of callbacks that act on the client), stopped when the test ends.
 */
export async function startBareClient(ctx: TestContext, name: string, options: Record<string, unknown>): Promise<{ stop(): void }> {
  const start = await loadFunction<(options: Record<string, unknown>) => { stop(): void }>(ctx, 'client.ts', name);
  const client = start(options);
  ctx.defer(() => client?.stop?.());
  return client;
}
