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
  // TODO 6: the loop. While not stopped: GET `${options.baseUrl}/poll`, read the PollAnswer,
  //   call options.onMessage(answer.message), and ask again at once — no pause: the server
  //   holds each poll until there is news. Start the loop once, here.
  // TODO 7: a failed poll (network error, or an answer that is not response.ok) goes to
  //   options.onError; then wait options.retryMs (default 1000) before asking again.
  // TODO 8: give each fetch an AbortController's signal, so stop() can abort it.
  // TODO 9: stop() sets a stopped flag and aborts the poll in flight; nothing is delivered
  //   and nothing is asked after it. An aborted fetch rejects: catch that too.
  void options;
  const unused: PollAnswer | undefined = undefined;
  void unused;
  return {
    stop() {
      // TODO 9
    },
  };
}
