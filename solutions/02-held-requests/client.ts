/**
 * Lesson 02 — the client of held requests. It runs in Node and in the browser: it uses
 * only fetch, AbortController and setTimeout.
 *
 * @module
 */
import type { Message, PollAnswer } from './protocol.ts';

export interface LongPollingOptions {
  /** Where the lesson's server is, e.g. `http://127.0.0.1:3000` (no trailing slash). */
  baseUrl: string;
  /** Called once for every message, in the order they arrive. */
  onMessage: (message: Message) => void;
  /** Called when a poll fails; polling goes on after `retryMs`. */
  onError?: (error: unknown) => void;
  /** How long to wait after a failed poll before asking again (default 1000 ms). */
  retryMs?: number;
}

export interface Poller {
  /** Stops: aborts the held poll; no request after this, nothing more delivered. */
  stop(): void;
}

/** Keeps one poll open at all times, delivering each answer and asking again at once. */
export function startLongPolling(options: LongPollingOptions): Poller {
  const { baseUrl, onMessage, onError, retryMs = 1000 } = options;
  let stopped = false;
  let inFlight: AbortController | undefined;
  let wakeUp: (() => void) | undefined;

  async function pollOnce(): Promise<PollAnswer> {
    inFlight = new AbortController();
    const response = await fetch(`${baseUrl}/poll`, { signal: inFlight.signal });
    if (!response.ok) throw new Error(`GET /poll answered ${response.status}`);
    return (await response.json()) as PollAnswer;
  }

  /** Waits `ms`, or less if stop() is called meanwhile. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  // The whole idea in one loop: ask, deliver, ask again at once. No waiting between
  // polls — the server holds each one until there is news, so this does not hammer it.
  async function keepPolling(): Promise<void> {
    while (!stopped) {
      try {
        const { message } = await pollOnce();
        if (!stopped) onMessage(message);
      } catch (error) {
        if (stopped) return;
        onError?.(error);
        // After a failure, do wait: a server that is down would otherwise be asked again
        // and again as fast as the network allows.
        await pause(retryMs);
      }
    }
  }

  void keepPolling();
  return {
    stop() {
      stopped = true;
      inFlight?.abort();
      wakeUp?.();
    },
  };
}
