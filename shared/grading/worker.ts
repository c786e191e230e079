/**
 * The child process that runs a grader against one lesson folder, from a given test on,
 * and reports over IPC as it goes: `start` before each test, `result` after it. The parent
 * (runner.ts) kills it when a test overruns and starts a fresh one for the rest.
 *
 * Usage (by runner.ts only): node --import tsx worker.ts <slug> <lessonDir> <fromIndex> <test ids, comma-separated>
 *
 * @module
 */
import { runTests } from './engine.ts';
import { loadGrader } from './graders.ts';
import type { TestResult } from './types.ts';

export type WorkerMessage =
  | { type: 'start'; index: number }
  | { type: 'result'; index: number; result: TestResult }
  | { type: 'done' };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

function fail(message: string): never {
  throw new Error(message);
}

async function main(): Promise<void> {
  const [slug, lessonDir, from, ids] = process.argv.slice(2);
  if (!slug || !lessonDir || !process.send) throw new Error('worker.ts is started by runner.ts');
  // In the order the runner gave the ids: it files each result by its position in that list.
  const all = (await loadGrader(slug)).tests;
  const selected = ids ? ids.split(',').map((id) => all.find((test) => test.id === id) ?? fail(`worker.ts: the grader of ${slug} has no test ${id}`)) : all;
  const first = Number(from ?? 0);
  const tests = selected.slice(first);
  // Load the workshop's own framework before the first test's clock starts: on a loaded
  // machine importing it takes seconds, which the first test would pay out of its limit.
  // (The lesson's files are still loaded inside the tests, so a file that hangs or throws
  // when imported fails a test instead of the grader.)
  await import('express').catch(() => undefined);
  let pending = send({ type: 'start', index: first });
  await runTests(tests, lessonDir, (result, offset) => {
    const index = first + offset;
    pending = pending
      .then(() => send({ type: 'result', index, result }))
      .then(() => (index + 1 < selected.length ? send({ type: 'start', index: index + 1 }) : undefined));
  });
  await pending;
  await send({ type: 'done' });
  // The learner's code may leave timers or sockets behind; they must not keep us alive.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(70);
});
