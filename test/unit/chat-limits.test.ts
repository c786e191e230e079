/**
 * The chat's given limits (lessons/05-chat/limits.ts, the same file in solutions/): the queue
 * in front of password hashing runs a few at a time and refuses (503) what does not fit, at
 * once; the rate limiter counts tries per key in a window and says how long to wait.
 */
import { describe, expect, it } from 'vitest';
import { Busy, Queue, RateLimiter } from '../../solutions/05-chat/limits.ts';

/** A task that runs until `finish()` is called. */
function blocker(): { task: () => Promise<void>; finish: () => void; started: Promise<void> } {
  let finish!: () => void;
  let started!: () => void;
  const begun = new Promise<void>((resolve) => (started = resolve));
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { task: () => (started(), done), finish, started: begun };
}

describe('Queue', () => {
  it('runs at most `concurrency` tasks at once, the next as soon as one finishes, in order', async () => {
    const queue = new Queue(2);
    const tasks = [blocker(), blocker(), blocker()];
    const runs = tasks.map((t) => queue.run(t.task));
    await Promise.all([tasks[0]!.started, tasks[1]!.started]);
    let thirdStarted = false;
    void tasks[2]!.started.then(() => (thirdStarted = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(thirdStarted, 'a third task started while two ran').toBe(false);
    tasks[0]!.finish();
    await tasks[2]!.started;
    tasks[1]!.finish();
    tasks[2]!.finish();
    await Promise.all(runs);
  });

  it('refuses with Busy (status 503), at once, a task that would wait past `maxWaiting`', async () => {
    const queue = new Queue(1, 2);
    const tasks = [blocker(), blocker(), blocker()];
    const runs = tasks.map((t) => queue.run(t.task));
    await expect(queue.run(async () => 'never')).rejects.toBeInstanceOf(Busy);
    await expect(queue.run(async () => 'never')).rejects.toMatchObject({ status: 503 });
    for (const t of tasks) t.finish();
    await Promise.all(runs);
    await expect(queue.run(async () => 'room again')).resolves.toBe('room again');
  });
});

describe('RateLimiter', () => {
  it('allows `max` tries per key in a window, then says how many seconds to wait; other keys are apart', () => {
    const limiter = new RateLimiter(2, 60_000);
    const now = 1_000_000;
    limiter.count('a', now);
    expect(limiter.retryAfter('a', now)).toBe(0);
    limiter.count('a', now);
    expect(limiter.retryAfter('a', now + 1000)).toBe(59);
    expect(limiter.retryAfter('b', now)).toBe(0);
    expect(limiter.retryAfter('a', now + 60_000), 'a new window').toBe(0);
    limiter.reset('a');
    expect(limiter.retryAfter('a', now + 1000)).toBe(0);
  });

  it('keeps at most `maxKeys` keys, forgetting expired and then the oldest ones', () => {
    const limiter = new RateLimiter(1, 60_000, 3);
    for (const key of ['a', 'b', 'c', 'd']) limiter.count(key, 0);
    expect(limiter.retryAfter('a', 1), 'the oldest key was forgotten').toBe(0);
    expect(limiter.retryAfter('d', 1)).toBe(60);
  });
});
