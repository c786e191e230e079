/**
 * The lesson code's timers, watched from inside the grading child: every `setTimeout` and
 * `setInterval` that is not the grader's own — started neither by the workshop's `shared/`
 * and `test/` code nor by Node's internals, so the lesson's files, and any module they
 * import, count — with the delay it asked for, and
 * whether it is still pending, has fired or was cleared. Graders use it to check delays
 * exactly without waiting for them (a default of 25 seconds, a back-off of 30), and to prove
 * that nothing is left behind — a pending timer keeps Node alive and runs code later.
 *
 * With `fastForward`, the lesson code's timers fire at once (the delay asked for is still
 * recorded): a back-off sequence up to its cap runs in milliseconds. The grader's own timers
 * are never touched.
 *
 * @module
 */
import path from 'node:path';
import { projectRoot } from '../paths.ts';
import { check, show } from './failure.ts';
import type { TestContext } from './types.ts';
import { waitUntil } from './wait.ts';

export interface LessonTimer {
  /** The delay the lesson code asked for, as it passed it (undefined when it passed none). */
  readonly ms: unknown;
  readonly repeats: boolean;
  readonly state: 'pending' | 'fired' | 'cleared';
}

export interface TimerWatch {
  /** Every timer the lesson code started since the watch began, in order. */
  readonly all: readonly LessonTimer[];
  /** The lesson code's timers that are still pending (intervals until they are cleared). */
  pending(): LessonTimer[];
  /** The next timer the lesson code starts (one already started and not yet taken comes first). */
  next(withinMs: number): Promise<LessonTimer | undefined>;
  /** Resolves true once no lesson timer is pending, false if some still are after `withinMs`. */
  settles(withinMs: number): Promise<boolean>;
}

interface Entry {
  ms: unknown;
  repeats: boolean;
  state: LessonTimer['state'];
}

/** Watches the lesson's timers until the test ends. One watch at a time. */
export function watchTimers(ctx: TestContext, { fastForward = false }: { fastForward?: boolean } = {}): TimerWatch {
  const graderFolders = ['shared', 'test'].map((folder) => path.join(projectRoot, folder) + path.sep);
  const entries: Entry[] = [];
  const byHandle = new Map<unknown, Entry>();
  const waiters: Array<() => void> = [];
  let taken = 0;
  const original = { setTimeout, setInterval, clearTimeout, clearInterval };

  /** True unless the function that called the patched timer function is the grader's or Node's. */
  function calledFromLesson(patched: (...args: never[]) => unknown): boolean {
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, patched);
    const caller = holder.stack?.split('\n').find((line) => line.trimStart().startsWith('at ')) ?? '';
    if (caller === '' || caller.includes('node:')) return false;
    return !graderFolders.some((folder) => caller.includes(folder) || caller.includes(pathToUrlPrefix(folder)));
  }

  function start(kind: 'setTimeout' | 'setInterval', patched: (...args: never[]) => unknown, callback: unknown, ms: unknown, args: unknown[]): unknown {
    const run = original[kind] as (callback: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => unknown;
    if (typeof callback !== 'function' || !calledFromLesson(patched)) return run(callback as () => void, ms as number, ...args);
    const entry: Entry = { ms, repeats: kind === 'setInterval', state: 'pending' };
    const handle = run(
      (...rest: unknown[]) => {
        if (!entry.repeats) entry.state = 'fired';
        (callback as (...a: unknown[]) => void)(...rest);
      },
      fastForward ? 0 : (ms as number),
      ...args,
    );
    entries.push(entry);
    byHandle.set(handle, entry);
    waiters.splice(0).forEach((wake) => wake());
    return handle;
  }

  function clear(kind: 'clearTimeout' | 'clearInterval', handle: unknown): void {
    const entry = byHandle.get(handle);
    if (entry && entry.state === 'pending') entry.state = 'cleared';
    (original[kind] as (handle: unknown) => void)(handle);
  }

  const patchedTimeout = (callback: unknown, ms?: unknown, ...args: unknown[]) => start('setTimeout', patchedTimeout, callback, ms, args);
  const patchedInterval = (callback: unknown, ms?: unknown, ...args: unknown[]) => start('setInterval', patchedInterval, callback, ms, args);
  Object.assign(globalThis, {
    setTimeout: patchedTimeout,
    setInterval: patchedInterval,
    clearTimeout: (handle: unknown) => clear('clearTimeout', handle),
    clearInterval: (handle: unknown) => clear('clearInterval', handle),
  });
  ctx.defer(() => Object.assign(globalThis, original));

  const pending = (): LessonTimer[] => entries.filter((entry) => entry.state === 'pending');
  return {
    all: entries,
    pending,
    async next(withinMs) {
      if (taken >= entries.length) {
        let wake!: () => void;
        const started = new Promise<void>((resolve) => (wake = resolve));
        waiters.push(wake);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([started, new Promise<void>((resolve) => (timer = original.setTimeout(resolve, withinMs)))]);
        original.clearTimeout(timer);
      }
      return taken < entries.length ? entries[taken++] : undefined;
    },
    async settles(withinMs) {
      return (await waitUntil(() => (pending().length === 0 ? true : undefined), { withinMs })) === true;
    },
  };
}

/** A delay, or a list of them, as a failure shows it: `40`, `NaN`, `undefined`, `[40, 80]`. */
export function showDelay(ms: unknown): string {
  return Array.isArray(ms) ? `[${ms.map(showDelay).join(', ')}]` : typeof ms === 'number' || ms === undefined ? String(ms) : show(ms);
}

/** How long the lesson code may take to clear its timers once it should have. */
export const SETTLE_MS = 250;

/**
 * Fails unless every timer of the lesson code that is pending now, or starts soon after, is
 * cleared `after` something (e.g. "after stop()"). A timer that fires instead ran the lesson's
 * code after it should have ended; one still pending keeps Node running.
 */
export async function checkNoTimerLeft(ctx: TestContext, timers: TimerWatch, after: string, look?: string): Promise<void> {
  ctx.step(`checking that your code clears its timers ${after}`);
  const from = timers.all.length;
  const concerned = (): LessonTimer[] => [...timers.pending(), ...timers.all.slice(from)];
  const watched = new Set(concerned());
  await timers.settles(SETTLE_MS);
  for (const timer of timers.all.slice(from)) watched.add(timer);
  const left = [...watched].filter((timer) => timer.state !== 'cleared');
  check(left.length === 0, {
    expected: `every timer of your code cleared (clearTimeout) ${after}: a forgotten timer keeps Node running and runs your code later`,
    actual: left.map((timer) => `a timer of ${showDelay(timer.ms)} ms ${timer.state === 'fired' ? 'fired' : 'is still pending'}`).join('; '),
    ...(look ? { look } : {}),
  });
}

function pathToUrlPrefix(folder: string): string {
  return `file://${folder.split(path.sep).join('/')}`;
}
