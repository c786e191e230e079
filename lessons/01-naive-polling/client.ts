/**
 * Lesson 01 — the client of naive polling. It runs in Node and in the browser: use only
 * fetch, AbortController and setTimeout.
 *
 * Your task: startPolling(), TODOs 5 to 8. `npm run verify -- 1` grades it.
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
  // TODO 5: one poll asks GET /messages and hands each message to onMessage exactly once,
  //   in order. The server repeats every message in every answer and ids only grow, so
  //   the client must remember enough to tell a new message from one it delivered.
  // TODO 6: the pace. The first poll goes out at once; each next one intervalMs after the
  //   previous one has finished, well or badly — never two open at once, so a slow
  //   server is not piled on.
  // TODO 7: a failure (no answer, or an answer that is not ok: fetch does not throw for a
  //   500) goes to onError when there is one, and polling goes on.
  // TODO 8: after stop(), nothing happens any more: no request starts, the one in flight is
  //   aborted, nothing is delivered (not even the rest of an answer being handled), and
  //   no timer is left pending (it would keep Node running). The AbortError of the aborted
  //   request is not a failure to report.
  void options;
  const unused: MessageList | undefined = undefined;
  void unused;
  return {
    stop() {
      // TODO 8
    },
  };
}
