/**
 * Lesson 03 — a client that keeps going: it asks again at once after a timeout, backs off
 * after errors, and stops when the server says "cancelled". It runs in Node and in the
 * browser: it uses only fetch, AbortController and setTimeout.
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

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** 500, 1000, 2000, … ms, never more than maxRetryMs: a server that is down or
   * overloaded gets fewer and fewer requests instead of a flood. */
  function backOff(): number {
    return Math.min(retryMs * 2 ** (failuresInARow - 1), maxRetryMs);
  }

  function handle(answer: PollAnswer): void {
    if (answer.status === 'message') onMessage(answer.message);
    else if (answer.status === 'cancelled') {
      stopped = true;
      onCancelled?.();
    }
    // 'timeout': nothing happened while we waited. Not an error: ask again at once.
  }

  async function keepPolling(): Promise<void> {
    while (!stopped) {
      try {
        const answer = await pollOnce();
        failuresInARow = 0; // a success ends the run of failures: the next pause is short again
        if (!stopped) handle(answer);
      } catch (error) {
        if (stopped) return;
        failuresInARow++;
        onError?.(error);
        await pause(backOff());
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
