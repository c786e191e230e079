/**
 * Lesson 03 — a client that keeps going: it asks again at once after a timeout, backs off
 * after errors, and stops when the server says "cancelled". It runs in Node and in the
 * browser: use only fetch, AbortController and setTimeout.
 *
 * Your task: TODOs 8 to 11. `npm run verify -- 3` grades it.
 *
 * @module
 */
import type { Message, PollAnswer } from './protocol.ts';

export interface CometClientOptions {
  /** Where the lesson's server is, e.g. `http://127.0.0.1:3000` (no trailing slash). */
  baseUrl: string;
  /** Called once for every message, in the order they arrive. */
  onMessage: (message: Message) => void;
  /** Called for every failed poll; the client goes on after a pause. */
  onError?: (error: unknown) => void;
  /** Called once when the server answers "cancelled"; the client has stopped then. */
  onCancelled?: () => void;
  /** The pause after the first failure in a row (default 500 ms); it doubles with each further failure. */
  retryMs?: number;
  /** The longest pause (default 30 s). */
  maxRetryMs?: number;
}

export interface Poller {
  /** Stops at any moment: aborts the poll in flight or ends the pause; nothing after it. */
  stop(): void;
}

/** Keeps one poll open at all times until stopped or cancelled by the server. */
export function startCometClient(options: CometClientOptions): Poller {
  const { baseUrl, onMessage, onError, onCancelled, retryMs = 500, maxRetryMs = 30_000 } = options;
  let stopped = false;
  let failuresInARow = 0;
  let inFlight: AbortController | undefined;
  let wakeUp: (() => void) | undefined;

  async function pollOnce(): Promise<PollAnswer> {
    inFlight = new AbortController();
    const response = await fetch(`${baseUrl}/poll`, { signal: inFlight.signal });
    if (!response.ok) throw new Error(`GET /poll answered ${response.status}`);
    return (await response.json()) as PollAnswer;
  }

  /** Waits `ms`, or less if stop() calls wakeUp meanwhile. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  function backOff(): number {
    // TODO 9: the pause after the n-th failure in a row is retryMs, then twice that, four
    //   times, … exactly, but never more than maxRetryMs (defaults: 500 ms and 30 s).
    void maxRetryMs;
    return retryMs;
  }

  function handle(answer: PollAnswer): void {
    // TODO 8: each kind of answer has its meaning: a message is delivered; "cancelled" means
    //   the server is going away — stop for good and tell onCancelled (once); "timeout" is no
    //   error and no news — the loop simply asks again, at once.
    void answer;
    void onMessage;
    void onCancelled;
    throw new Error('handle() is not written yet (lessons/03-timeouts/client.ts, TODO 8)');
  }

  async function keepPolling(): Promise<void> {
    while (!stopped) {
      try {
        const answer = await pollOnce();
        // TODO 10: any answer at all — a message, a timeout, cancelled — ends a run of failures.
        if (!stopped) handle(answer);
      } catch (error) {
        if (stopped) return;
        // TODO 11: a failure is counted and reported (onError, when there is one), and the
        //   next poll waits backOff(). The client never gives up, and stop() must be able to end
        //   the pause (the given pause() lets it).
        void error;
        void onError;
        void failuresInARow;
        return;
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
