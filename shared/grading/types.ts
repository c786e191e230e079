/**
 * The vocabulary of the grading engine: a grader is an ordered list of tests, each
 * checking one idea of a lesson through the lesson's public contract.
 *
 * @module
 */
import type { Recording } from './recording.ts';

/** What a test can use while it runs. */
export interface TestContext {
  /** Absolute path of the lesson folder being graded (the learner's, a solution, a submission). */
  readonly lessonDir: string;
  /** Imports a file of the lesson folder (e.g. `server.ts`); a failure to load fails the test with a clear message. */
  load<T>(file: string): Promise<T>;
  /** Names what the test is doing now, so a timeout can say where it got stuck. */
  step(what: string): void;
  /** Registers a cleanup that runs when the test ends, passed, failed or timed out. */
  defer(cleanup: () => unknown): void;
  /** Aborted when the test ends; pass it to anything that should stop with the test. */
  readonly signal: AbortSignal;
}

/** One graded idea. */
export interface GraderTest {
  /** Stable identifier, used by mutants (`caughtBy`) and reports. */
  readonly id: string;
  /** The idea checked, in words a learner understands. */
  readonly title: string;
  /** Where to look when this test fails: the file and the idea. */
  readonly look: string;
  /** Points for classroom grading; 1 when not set. */
  readonly points?: number;
  /** Hard limit for the whole test, cleanup excluded. */
  readonly timeoutMs?: number;
  run(ctx: TestContext): Promise<void>;
}

export interface Grader {
  /** The lesson slug, as in the manifest. */
  readonly lesson: string;
  readonly tests: readonly GraderTest[];
  /**
   * Tests this machine cannot run, left out of `tests` (never counted as passed), each with
   * the reason the grader prints. Under CI=true a grader leaves nothing out.
   */
  readonly leftOut?: ReadonlyArray<{ readonly id: string; readonly why: string }>;
}

export type TestStatus = 'passed' | 'failed';

export interface TestResult {
  readonly id: string;
  readonly title: string;
  readonly points: number;
  readonly status: TestStatus;
  /** For a failure: what was expected, what happened, where to look. */
  readonly message?: string;
  readonly durationMs: number;
  /** For a failure: the HTTP exchanges the test made with the lesson's code, to draw (timeline-text.ts). */
  readonly timeline?: Recording;
}

export interface LessonReport {
  readonly lesson: string;
  readonly lessonDir: string;
  readonly results: readonly TestResult[];
  /** The grader's tests this machine cannot run (Grader.leftOut): neither passed nor failed, and shown as such. */
  readonly leftOut: ReadonlyArray<{ readonly id: string; readonly why: string }>;
  /** The grader's tests as written (English): a report in another language finds each test's title and where-to-look by them. */
  readonly tests?: ReadonlyArray<{ readonly id: string; readonly title: string; readonly look: string }>;
  /** Wall time of grading the lesson (its processes' start-up included), when it was measured. */
  readonly durationMs?: number;
}

/**
 * A curated mutant: the reference solution with one typical learner mistake, described as
 * small text replacements applied at test time, and the test that must catch it.
 */
export interface Mutant {
  readonly id: string;
  /** The mistake, as a learner would make it. */
  readonly mistake: string;
  readonly edits: readonly MutantEdit[];
  /** Id of the grader test that must fail on this mutant. */
  readonly caughtBy: string;
}

export interface MutantEdit {
  /** File inside the lesson folder. */
  readonly file: string;
  /** Text that must occur exactly once in the solution file. */
  readonly find: string;
  readonly replace: string;
}
