/**
 * Limits that come before expensive work. Given: read it, nothing to write here.
 *
 * A login costs the server a scrypt hash — tens of milliseconds of CPU and 16 MB of memory on
 * purpose, so that guessing passwords is slow. That also makes logins the cheapest way to
 * make the server slow for everyone: 200 logins at once kept other users' messages waiting
 * for half a minute. So every request that will hash a password is counted first, and refused
 * (`429 Too Many Requests`, with `Retry-After`) *before* any hashing once a name or an
 * address has tried too often. And the hashing that is allowed runs a few at a time
 * ({@link Queue}), so that it never takes every thread of Node's pool: the disk writes that
 * acknowledge messages run on the same threads. The queue itself is bounded: a flood from
 * many addresses at once gets `503` for what does not fit, at once, instead of making every
 * login wait behind hundreds of hashes.
 *
 * @module
 */

/** Counts tries per key in fixed windows: at most `max` per `windowMs`. */
export class RateLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  /** The count and the end of the current window, per key. */
  readonly #windows = new Map<string, { count: number; endsAt: number }>();
  /** Keys kept at most, so that a flood of new keys cannot grow the map without bound. */
  readonly #maxKeys: number;

  constructor(max: number, windowMs: number, maxKeys = 100_000) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  /** Seconds until `key` may try again, or 0 when it may now (asking does not count as a try). */
  retryAfter(key: string, now = Date.now()): number {
    const window = this.#windows.get(key);
    if (!window || window.endsAt <= now || window.count < this.#max) return 0;
    return Math.max(1, Math.ceil((window.endsAt - now) / 1000));
  }

  /** Counts one try of `key`. */
  count(key: string, now = Date.now()): void {
    let window = this.#windows.get(key);
    if (!window || window.endsAt <= now) {
      if (this.#windows.size >= this.#maxKeys) this.#dropOldest(now);
      window = { count: 0, endsAt: now + this.#windowMs };
      this.#windows.set(key, window);
    }
    window.count++;
  }

  /** Forgets the tries of `key` (after a successful login, its failures no longer count). */
  reset(key: string): void {
    this.#windows.delete(key);
  }

  #dropOldest(now: number): void {
    for (const [key, window] of this.#windows) if (window.endsAt <= now) this.#windows.delete(key);
    // Still full: forget the oldest keys (a Map keeps the order they were added in).
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < this.#maxKeys) break;
      this.#windows.delete(key);
    }
  }
}

/** A task the queue had no room for: answer 503, try again later. */
export class Busy extends Error {
  readonly status = 503;
}

/** Runs at most `concurrency` tasks at a time; at most `maxWaiting` others wait their turn, in order. */
export class Queue {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(concurrency: number, maxWaiting = Infinity) {
    this.#concurrency = concurrency;
    this.#maxWaiting = maxWaiting;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A free place is taken at once; otherwise wait until a finishing task hands its place on.
    if (this.#running < this.#concurrency) this.#running++;
    else if (this.#waiting.length >= this.#maxWaiting) throw new Busy('The server is busy checking passwords: try again in a few seconds.');
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
