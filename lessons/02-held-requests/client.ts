/**
 * Lesson 02 — the client of held requests. It runs in Node and in the browser: use only
 * fetch, AbortController and setTimeout.
 *
 * Your task: write startLongPolling() (TODOs 6 to 9). `npm run verify -- 2` grades it.
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
  // TODO 6: the loop. Exactly one poll is open at a time; each answer's message goes to
  //   onMessage, once, and the next poll goes out at once — no pause after an answer: the
  //   server does the waiting.
  // TODO 7: a failed poll (no answer, or one that is not ok) goes to onError when there is
  //   one, and the next poll waits retryMs — 1000 ms when the option is left out — so that
  //   a server that is down is not asked again as fast as the network allows.
  // TODO 8: stop() must be able to end the poll in flight: the request is held at the
  //   server, and only aborting it closes it.
  // TODO 9: after stop(), nothing happens any more: the held poll is closed, nothing is
  //   delivered, nothing is asked, nothing is reported, and no timer is left pending —
  //   stop() may come in the middle of the pause after a failure.
  void options;
  const unused: PollAnswer | undefined = undefined;
  void unused;
  return {
    stop() {
      // TODO 9
    },
  };
}
