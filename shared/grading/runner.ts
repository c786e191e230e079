/**
 * Grades one lesson folder in child processes, so that nothing the learner's code does can
 * stop the grader: an endless loop, a crash, `process.exit()`, or memory without end costs
 * the test that was running (with a message saying so) and the next tests run in a fresh
 * child. Every test is bounded by its own time limit plus a small allowance for cleanup.
 *
 * @module
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Lesson } from '../manifest.ts';
import { projectRoot } from '../paths.ts';
import { DEFAULT_TEST_TIMEOUT_MS } from './engine.ts';
import { framed } from './failure.ts';
import { loadGrader, selectTests } from './graders.ts';
import type { GraderTest, LessonReport, TestResult } from './types.ts';
import type { WorkerMessage } from './worker.ts';

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** Cleanups get up to a second each; this covers them and the IPC round trip. */
const WATCHDOG_ALLOWANCE_MS = 4000;
/** Starting node with tsx can take a few seconds on a busy machine. */
const STARTUP_LIMIT_MS = 30_000;
const MEMORY_LIMIT_MB = 512;
const OUTPUT_TAIL_CHARS = 2000;

export interface GradeOptions {
  /** Called as each test finishes, in order. */
  onResult?: (result: TestResult, index: number) => void;
  /** Run only the tests with these ids (the meta-tests prove a mutant against the one test named for it). */
  only?: readonly string[];
  /** Stop at the first failed test (mutation testing only needs to know that one failed). */
  bail?: boolean;
  /**
   * How many child processes run the lesson's tests side by side (default 1: one after the
   * other). Each test is the same wherever it runs (a test never relies on an earlier one: after
   * a crash the rest run in a fresh child anyway); a lesson whose tests mostly wait — a starter
   * that never answers, so each test waits out its limit — then takes a fraction of the time.
   * Results then come to onResult at the end, in the grader's order. A lesson in which a test
   * hangs is graded again one test after another, so that its result never depends on this.
   */
  parallel?: number;
}

interface ChildOutcome {
  /** Index of the first test this child did not report. */
  next: number;
  /** True when the watchdog had to kill the child (code that never gave control back). */
  hung?: boolean;
  /** Set when the child could not run at all (a problem of the workshop, not the lesson). */
  fatal?: string;
}

function failed(test: GraderTest, message: string, durationMs: number): TestResult {
  return { id: test.id, title: test.title, points: test.points ?? 1, status: 'failed', message, durationMs };
}

function limitOf(test: GraderTest): number {
  return (test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS) + WATCHDOG_ALLOWANCE_MS;
}

function deathMessage(test: GraderTest, reason: string, output: string): string {
  const tail = output.trim() ? `\nLast output of the process:\n${output.trim().split('\n').slice(-8).join('\n')}` : '';
  return `${framed({ expected: 'the lesson code to keep the process running while it is graded.', actual: reason, look: test.look })}${tail}`;
}

function runChild(
  slug: string,
  tests: readonly GraderTest[],
  lessonDir: string,
  from: number,
  record: (result: TestResult, index: number) => void,
  bail = false,
  abandonOn?: AbortSignal,
): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = fork(workerPath, [slug, lessonDir, String(from), tests.map((t) => t.id).join(',')], {
      cwd: projectRoot,
      execArgv: ['--import', 'tsx', `--max-old-space-size=${MEMORY_LIMIT_MB}`],
      env: { ...process.env, NODE_ENV: 'test', NO_COLOR: '1', FORCE_COLOR: '0' },
      silent: true,
    });
    let output = '';
    const keepTail = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS));
    child.stdout?.on('data', keepTail);
    child.stderr?.on('data', keepTail);

    let current: number | undefined;
    let startedAt = performance.now();
    let killedBecause: string | undefined;
    let next = from;
    let finished = false;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = (ms: number, why: string): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        killedBecause = why;
        child.kill('SIGKILL');
      }, ms);
    };
    arm(STARTUP_LIMIT_MS, `the grader could not start within ${STARTUP_LIMIT_MS} ms`);
    const abandon = (): void => {
      finished = true;
      child.kill('SIGKILL');
    };
    if (abandonOn?.aborted) abandon();
    abandonOn?.addEventListener('abort', abandon, { once: true });

    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'start') {
        current = message.index;
        startedAt = performance.now();
        const test = tests[message.index]!;
        arm(limitOf(test), `your code did not give control back for ${limitOf(test)} ms (a loop that never ends?), so the process was stopped.`);
      } else if (message.type === 'result') {
        clearTimeout(watchdog);
        record(message.result, message.index);
        next = message.index + 1;
        current = undefined;
        if (bail && message.result.status === 'failed') {
          finished = true;
          child.kill('SIGKILL');
        }
      } else if (message.type === 'done') {
        finished = true;
      }
    });

    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      abandonOn?.removeEventListener('abort', abandon);
      if (finished || next >= tests.length) return resolve({ next: tests.length });
      if (current === undefined) {
        return resolve({ next, fatal: `The grader process ended before running a test (code ${code}, signal ${signal}).\n${output}` });
      }
      const reason = killedBecause ?? `the process ended during this test (${signal ? `signal ${signal}` : `exit code ${code}`}). Does your code call process.exit(), or crash outside a request?`;
      record(failed(tests[current]!, deathMessage(tests[current]!, reason, output), Math.round(performance.now() - startedAt)), current);
      resolve({ next: current + 1, hung: killedBecause !== undefined });
    });
  });
}

/** After this many tests in a row whose code never gave control back, the rest are not run. */
const HANGS_BEFORE_GIVING_UP = 2;

/**
 * Runs `tests` in child processes, one after another, a fresh child after a crash; after
 * HANGS_BEFORE_GIVING_UP hangs in a row the rest are counted as failed. `onHang` hears of each
 * test whose code never gave control back; `abandonOn` stops everything at once.
 */
async function runShard(
  slug: string,
  tests: readonly GraderTest[],
  lessonDir: string,
  record: (result: TestResult, index: number) => void,
  bail: boolean | undefined,
  { onHang, abandonOn }: { onHang?: () => void; abandonOn?: AbortSignal } = {},
): Promise<void> {
  let next = 0;
  let hangsInARow = 0;
  while (next < tests.length && !abandonOn?.aborted) {
    const outcome = await runChild(slug, tests, lessonDir, next, record, bail, abandonOn);
    if (outcome.fatal) throw new Error(outcome.fatal);
    next = outcome.next;
    if (outcome.hung) onHang?.();
    hangsInARow = outcome.hung ? hangsInARow + 1 : 0;
    if (hangsInARow >= HANGS_BEFORE_GIVING_UP) {
      // Grading stays bounded: code that locks up every test would otherwise cost each
      // test its whole limit. The rest count as failed, and say why.
      for (let index = next; index < tests.length; index++) {
        const test = tests[index]!;
        record(failed(test, deathMessage(test, `not run: in the ${HANGS_BEFORE_GIVING_UP} tests before, the lesson code never gave control back, so the rest of this lesson is counted as failed.`, ''), 0), index);
      }
      break;
    }
  }
}

/**
 * The tests in `shards` child processes side by side (test i in shard i mod n, so that
 * neighbouring slow tests spread out); resolves with every result, or with undefined as soon as
 * one test hangs: which tests a hang costs depends on the order they ran in ("the rest are
 * counted as failed"), so such a lesson is graded again one test after another, as always.
 */
async function runShards(slug: string, tests: readonly GraderTest[], lessonDir: string, shards: number): Promise<TestResult[] | undefined> {
  const results: TestResult[] = [];
  const abandon = new AbortController();
  const groups = Array.from({ length: shards }, (_, shard) => tests.map((_test, index) => index).filter((index) => index % shards === shard));
  let hung = false;
  const onHang = (): void => {
    hung = true;
    abandon.abort();
  };
  await Promise.all(
    groups.map((indexes) =>
      runShard(slug, indexes.map((index) => tests[index]!), lessonDir, (result, local) => void (results[indexes[local]!] = result), false, { onHang, abandonOn: abandon.signal }).catch(
        (error: unknown) => {
          abandon.abort();
          throw error;
        },
      ),
    ),
  );
  return hung ? undefined : results;
}

/** Failures seen side by side that are always run again, one after another, before they count. */
const CONFIRMED_ALONE = 3;

/**
 * A failure among tests that ran side by side may be the machine's doing (three children
 * sharing the cores past a test's limit), so failures are run again alone, and that result
 * counts: a right solution never loses a point to parallelism, and neither does a half-done
 * one whose other failures are its own. They are run again shortest first, the first three
 * always and the rest while their first runs add up to no more than the side-by-side run took —
 * so grading at most about doubles. What is left is a run of long failures (code waiting out
 * limit after limit): the code's own. When every test failed (a starter, code that does not
 * load), none is run again.
 */
async function confirmFailuresAlone(slug: string, tests: readonly GraderTest[], lessonDir: string, results: TestResult[], sideBySideMs: number): Promise<TestResult[]> {
  const failed = results.flatMap((result, index) => (result.status === 'failed' ? [index] : [])).sort((a, b) => results[a]!.durationMs - results[b]!.durationMs);
  // Every test failed: no machine starves every test, that is a starter or code that does not load.
  if (failed.length === results.length) return results;
  let budget = sideBySideMs;
  // The worker runs the ids in the order given, so each result comes back in its test's place.
  const again = failed.filter((index, rank) => rank < CONFIRMED_ALONE || (budget -= results[index]!.durationMs) >= 0);
  if (again.length === 0) return results;
  const confirmed = [...results];
  await runShard(slug, again.map((index) => tests[index]!), lessonDir, (result, local) => void (confirmed[again[local]!] = result), false);
  return confirmed;
}

/** Grades `lessonDir` with the lesson's grader; resolves with every test's result, in order. */
export async function gradeLesson(lesson: Lesson, lessonDir: string, options: GradeOptions = {}): Promise<LessonReport> {
  const grader = await loadGrader(lesson.slug);
  const tests = selectTests(grader.tests, options.only);
  const shards = Math.max(1, Math.min(Math.floor(options.parallel ?? 1), tests.length));
  const started = performance.now();
  let results = shards > 1 && !options.bail ? await runShards(lesson.slug, tests, lessonDir, shards) : undefined;
  if (results) {
    results = await confirmFailuresAlone(lesson.slug, tests, lessonDir, results, performance.now() - started);
    results.forEach((result, index) => options.onResult?.(result, index));
  }
  else {
    results = [];
    const sequential = results;
    await runShard(lesson.slug, tests, lessonDir, (result, index) => {
      sequential[index] = result;
      options.onResult?.(result, index);
    }, options.bail);
  }
  const leftOut = (grader.leftOut ?? []).filter((t) => !options.only || options.only.includes(t.id));
  return { lesson: lesson.slug, lessonDir, results, leftOut, tests: grader.tests.map(({ id, title, look }) => ({ id, title, look })) };
}
