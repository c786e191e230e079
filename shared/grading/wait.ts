/**
 * Waiting for conditions instead of sleeping: the graders' only way to let time pass.
 *
 * @module
 */

/** Resolves after `ms`, or rejects when `signal` aborts. For observation windows only. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Re-evaluates `probe` (every `everyMs`) until it returns something other than undefined,
 * and resolves with that; resolves `undefined` when `withinMs` runs out first.
 */
export async function waitUntil<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  { withinMs, everyMs = 5, signal }: { withinMs: number; everyMs?: number; signal?: AbortSignal },
): Promise<T | undefined> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() >= deadline) return undefined;
    await delay(everyMs, signal);
  }
}

/** Resolves with the promise's value, or with `fallback` if it takes longer than `ms`. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
