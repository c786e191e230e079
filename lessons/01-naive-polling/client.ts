/**
 * Lesson 01 — the client of naive polling. It runs in Node and in the browser: use only
 * fetch, AbortController and setTimeout.
 *
 * Your task: write startPolling() (TODOs 5 to 8). `npm run verify -- 1` grades it.
 *
 * @module
 */
import type { Message, MessageList } from './protocol.ts';

export interface PollingOptions {
  /** Where the lesson's server is, e.g. `http://127.0.0.1:3000` (no trailing slash). */
  baseUrl: string;
  /** How long to wait after one answer before asking again. */
  intervalMs: number;
  /** Called once for every message, in order of id. */
  onMessage: (message: Message) => void;
  /** Called when a request fails; polling goes on. */
  onError?: (error: unknown) => void;
}

export interface Poller {
  /** Stops polling: no request starts after this, and nothing more is delivered. */
  stop(): void;
}

/** Asks the server for all messages at once and then every `intervalMs`, delivering new ones. */
export function startPolling(options: PollingOptions): Poller {
  // TODO 5: write pollOnce(): GET `${options.baseUrl}/messages`, read the MessageList, and
  //   call options.onMessage for each message you have not delivered before. The server
  //   sends *every* message each time: remember the largest id delivered so far.
  // TODO 6: when pollOnce has finished — successfully or not — schedule the next one with
  //   setTimeout(pollOnce, options.intervalMs). Call pollOnce once at the start.
  // TODO 7: a failed request (network error, or an answer that is not response.ok) goes to
  //   options.onError, and polling goes on.
  // TODO 8: stop() clears the timer, aborts the request in flight (AbortController), and
  //   makes sure nothing is delivered afterwards.
  void options;
  const unused: MessageList | undefined = undefined;
  void unused;
  return {
    stop() {
      // TODO 8
    },
  };
}
