/**
 * Failures that teach. A grader never throws a bare assertion: it says what it expected,
 * what happened, and (optionally) where to look.
 *
 * @module
 */

export interface FailureParts {
  /** What a correct lesson does here. */
  expected: string;
  /** What this code did instead. */
  actual: string;
  /** Where to look; the test's own `look` is used when omitted. */
  look?: string;
}

/** The labels a failure's parts are written under, each on a line of its own; report.ts finds the parts by them to translate a message. */
export const labels = { expected: 'Expected: ', got: 'Got:      ', look: 'Look at:  ' } as const;

/** The error a grader throws when the learner's code does not do what the lesson asks. */
export class GradeFailure extends Error {
  readonly parts: FailureParts;
  constructor(parts: FailureParts) {
    super(`${labels.expected}${parts.expected}\n${labels.got}${parts.actual}`);
    this.name = 'GradeFailure';
    this.parts = parts;
  }
}

/** A failure's text, each part on its own labelled line (the labels are what report.ts translates). */
export function framed(parts: Required<FailureParts>): string {
  return `${labels.expected}${parts.expected}\n${labels.got}${parts.actual}\n${labels.look}${parts.look}`;
}

/** Fails the current test. */
export function fail(parts: FailureParts): never {
  throw new GradeFailure(parts);
}

/** Fails the current test unless `condition` holds. */
export function check(condition: unknown, parts: FailureParts): asserts condition {
  if (!condition) fail(parts);
}

/** A short, single-line rendering of a value for messages (JSON, cut to a readable length). */
export function show(value: unknown, max = 160): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'string') text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The message of anything thrown, for reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.name}: ${error.message}${code ? ` [${String(code)}]` : ''}${cause}`;
  }
  return show(error);
}
