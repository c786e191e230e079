/**
 * Machinery of the soak tests (lesson 04's in test/soak, lesson 09's in its grader): many
 * clients, many messages, disturbances on a fixed, seeded schedule, and posts repeated until
 * the server acknowledges them.
 *
 * @module
 */

/** A small seeded generator (mulberry32): the same seed drops the same clients at the same steps. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Notices a soak that is stuck: nothing moved forward (no post acknowledged, no message
 * delivered) for `stallMs`. A soak calls `moved()` at every step forward and stops when
 * `signal` aborts — within seconds, with what it was waiting for — instead of running into its
 * test's time limit minutes later. A disturbance the grader causes itself (a restart of the
 * store) stops the clock while it runs: `suspend(disturbance)`; the clock starts afresh after it.
 */
export interface ProgressWatch {
  /** Something moved forward: a post was acknowledged, a client got a message. */
  moved(): void;
  /** Aborted once nothing moved for `stallMs` (outside suspensions). */
  readonly signal: AbortSignal;
  readonly stallMs: number;
  /** Stops the clock until `during` settles; resolves (or rejects) as it does. */
  suspend<T>(during: Promise<T>): Promise<T>;
  /** Ends the watch (call it when the soak ends, passed or failed). */
  stop(): void;
}

export function watchProgress(stallMs: number): ProgressWatch {
  const controller = new AbortController();
  let lastMove = performance.now();
  let suspended = 0;
  // Checked ten times per stallMs: it says "stuck" between stallMs and 1.1 × stallMs after the last move.
  const timer = setInterval(() => {
    if (suspended === 0 && performance.now() - lastMove >= stallMs) {
      controller.abort(new Error(`nothing moved for ${stallMs} ms`));
      clearInterval(timer);
    }
  }, Math.max(10, stallMs / 10));
  timer.unref();
  return {
    moved: () => void (lastMove = performance.now()),
    signal: controller.signal,
    stallMs,
    suspend<T>(during: Promise<T>): Promise<T> {
      suspended++;
      const resume = (): void => {
        suspended--;
        lastMove = performance.now();
      };
      return during.then(
        (value) => (resume(), value),
        (error: unknown) => {
          resume();
          throw error;
        },
      );
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Posts `{ text }` to `<base>/messages` until the server answers 201, and resolves with the
 * stored message. `base(attempt)` names the server for each attempt (1, 2, …), so that a post
 * can move to another one while a server is down, restarting, or has no store. Throws once
 * `attempts` have failed, or at once when `signal` aborts (a stuck soak, see watchProgress): the
 * error says how many attempts were made and what the last answer was. An acknowledged message
 * must never be lost: that is what a soak checks.
 */
export async function postAcknowledged<M>(
  base: (attempt: number) => string,
  text: string,
  { attempts = 200, pauseMs = 5, signal }: { attempts?: number; pauseMs?: number; signal?: AbortSignal } = {},
): Promise<M> {
  let last = 'no answer';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (signal?.aborted) throw new Error(`"${text}" was not acknowledged (${attempt - 1} attempts; the last answer: ${last})`);
    const started = performance.now();
    try {
      const timeout = AbortSignal.timeout(5000);
      const response = await fetch(`${base(attempt)}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      if (response.status === 201) return (await response.json()) as M;
      last = `status ${response.status} ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      // the server is down, restarting, or cut off: try again
      last = signal?.aborted ? `none — attempt ${attempt} was still waiting after ${Math.round(performance.now() - started)} ms` : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`"${text}" was never acknowledged (${attempts} attempts; the last answer: ${last})`);
}
