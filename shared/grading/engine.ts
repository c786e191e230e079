/**
 * Runs grader tests inside one process: each test gets a hard time limit, its cleanups
 * always run, and an exception the learner's code throws outside any request (an
 * unhandled rejection, a throw in a timer) fails the test that was running instead of
 * killing the grader. The child-process runner (runner.ts) adds the protection against
 * code that never returns control.
 *
 * @module
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { GradeFailure, describeError, framed } from './failure.ts';
import { forReport, markExpected, startRecording, stopRecording, type Recording } from './recording.ts';
import type { GraderTest, TestContext, TestResult } from './types.ts';

export const DEFAULT_TEST_TIMEOUT_MS = 3000;

/** Failed tests carry their recorded exchanges; COMET_RECORDING=off turns it off (the bench compares both). */
const recordingOn = process.env.COMET_RECORDING !== 'off';
const CLEANUP_LIMIT_MS = 1000;

/** Thrown by `ctx.load` when a lesson file cannot be imported. */
class LoadFailure extends Error {}

const LOAD_PREFIX = 'Could not load ';
const LOAD_LOOK = '\nLook at: ';

/**
 * The file and the error of a load failure's message (as `ctx.load` words it), or undefined
 * for any other message. Reports use it to show a load error once, not under every test it fails.
 */
export function parseLoadError(message: string): { file: string; error: string } | undefined {
  if (!message.startsWith(LOAD_PREFIX)) return undefined;
  const colon = message.indexOf(': ', LOAD_PREFIX.length);
  const look = message.indexOf(LOAD_LOOK);
  if (colon < 0 || look < colon) return undefined;
  return { file: message.slice(LOAD_PREFIX.length, colon), error: message.slice(colon + 2, look) };
}

function loader(lessonDir: string): (file: string) => Promise<unknown> {
  const cache = new Map<string, Promise<unknown>>();
  return (file) => {
    let loaded = cache.get(file);
    if (!loaded) {
      const url = pathToFileURL(path.join(lessonDir, file)).href;
      loaded = import(url).catch((error: unknown) => {
        throw new LoadFailure(
          `${LOAD_PREFIX}${file}: ${describeError(error)}${LOAD_LOOK}${file} — it must compile and must not throw while it is imported.`,
        );
      });
      cache.set(file, loaded);
    }
    return loaded;
  };
}

/** Errors the learner's code throws outside of any awaited promise, while a test runs. */
function watchStrayErrors(): { errors: Promise<never>; first(): { error: unknown } | undefined; stop(): void } {
  let reject!: (error: unknown) => void;
  let caught: { error: unknown } | undefined;
  const errors = new Promise<never>((_resolve, rejectWith) => (reject = rejectWith));
  errors.catch(() => undefined);
  const onError = (error: unknown): void => {
    caught ??= { error };
    reject(error);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    errors,
    first: () => caught,
    stop() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}

/** Lines of the lesson code's console.error output shown under a failure, at most. */
const LOGGED_LINES = 14;

/**
 * What the lesson code writes with console.error while a test runs. A lesson's error handler
 * answers "500 The server failed." and logs the real error; the grader shows that log, with
 * its stack, under the failure, since the learner cannot see the grading child's output.
 */
function captureErrorLog(): { text(): string; stop(): void } {
  const original = console.error;
  const logged: string[] = [];
  console.error = (...args: unknown[]) => {
    logged.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 3 }))).join(' '));
  };
  return {
    text() {
      const lines = logged.join('\n').split('\n');
      if (lines.length === 1 && lines[0] === '') return '';
      const shown = lines.slice(0, LOGGED_LINES).map((line) => `  ${line}`);
      if (lines.length > LOGGED_LINES) shown.push(`  … (${lines.length - LOGGED_LINES} more lines)`);
      return `\nYour code logged this while the test ran (console.error):\n${shown.join('\n')}`;
    },
    stop: () => void (console.error = original),
  };
}

/** The first lines of a thrown error's stack (the frames say where in the lesson code). */
function withStack(error: unknown): string {
  const frames = error instanceof Error ? (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 6) : [];
  return frames.length > 0 ? `${describeError(error)}\n${frames.map((line) => `          ${line.trim()}`).join('\n')}` : describeError(error);
}

/**
 * Lets rejections caused by the cleanups (a client's stop() aborting its fetch) surface
 * now, so they are blamed on this test and not on the next one. Node reports an unhandled
 * rejection once the microtask queue is empty: two turns of the event loop are enough.
 */
async function letStrayErrorsSurface(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

function timeoutMessage(limitMs: number, step: string, test: GraderTest): string {
  return framed({ expected: `the test to finish within ${limitMs} ms.`, actual: `it was still ${step} when the time ran out.`, look: test.look });
}

function failureMessage(error: unknown, test: GraderTest): string {
  if (error instanceof GradeFailure) {
    return framed({ ...error.parts, look: error.parts.look ?? test.look });
  }
  if (error instanceof LoadFailure) return error.message;
  return framed({ expected: 'the lesson code to run without throwing.', actual: withStack(error), look: test.look });
}

async function runCleanups(cleanups: Array<() => unknown>): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLEANUP_LIMIT_MS)));
    await Promise.race([Promise.resolve().then(cleanup).catch(() => undefined), limit]);
    clearTimeout(timer);
  }
}

/** Runs one test and never throws: every outcome becomes a TestResult. */
export async function runTest(
  test: GraderTest,
  lessonDir: string,
  load: (file: string) => Promise<unknown> = loader(lessonDir),
): Promise<TestResult> {
  const limitMs = test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const cleanups: Array<() => unknown> = [];
  const controller = new AbortController();
  let step = 'starting';
  const ctx: TestContext = {
    lessonDir,
    load: <T>(file: string) => load(file) as Promise<T>,
    step: (what) => void (step = what),
    defer: (cleanup) => void cleanups.push(cleanup),
    signal: controller.signal,
  };

  const stray = watchStrayErrors();
  const log = captureErrorLog();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limitMs)));
  const started = performance.now();
  if (recordingOn) startRecording();
  let message: string | undefined;
  let recording: Recording | undefined;
  try {
    const outcome = await Promise.race([test.run(ctx).then(() => 'done' as const), timedOut, stray.errors]);
    if (outcome === 'timeout') {
      markExpected(`the test to finish within ${limitMs} ms; it was still ${step}`);
      message = timeoutMessage(limitMs, step, test);
    }
  } catch (error) {
    markExpected(error instanceof GradeFailure ? error.parts.expected : `no error, while ${step}`);
    message = failureMessage(error, test);
  } finally {
    clearTimeout(timer);
    // The recording ends with the test's own story: the cleanups' aborts are not part of it.
    recording = recordingOn ? stopRecording() : undefined;
    controller.abort();
    await runCleanups(cleanups);
    await letStrayErrorsSurface();
    stray.stop();
    log.stop();
  }
  const late = stray.first();
  if (message === undefined && late) {
    message = framed({
      expected: 'the lesson code to run without throwing, also while it is stopped.',
      actual: `${withStack(late.error)} (thrown outside any request, after the test's checks, while cleaning up)`,
      look: 'stop() and every await of fetch: an unhandled rejection ends a real Node process, so catch errors in async code, including the AbortError of an aborted fetch.',
    });
  }
  if (message !== undefined) message += log.text();
  const durationMs = Math.round(performance.now() - started);
  const base = { id: test.id, title: test.title, points: test.points ?? 1, durationMs };
  if (message === undefined) return { ...base, status: 'passed' };
  const drawn = recording !== undefined && (recording.exchanges.length > 0 || recording.notes.length > 0 || recording.awaitsClient === true);
  return { ...base, status: 'failed', message, ...(drawn ? { timeline: forReport(recording!) } : {}) };
}

/** Runs tests in order, sharing one module cache, reporting each result as it comes. */
export async function runTests(
  tests: readonly GraderTest[],
  lessonDir: string,
  onResult: (result: TestResult, index: number) => void = () => undefined,
): Promise<TestResult[]> {
  const load = loader(lessonDir);
  const results: TestResult[] = [];
  for (const [index, test] of tests.entries()) {
    const result = await runTest(test, lessonDir, load);
    results.push(result);
    onResult(result, index);
  }
  return results;
}
