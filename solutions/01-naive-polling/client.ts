/**
 * Lesson 01 — the client of naive polling. It runs in Node and in the browser: it uses
 * only fetch, AbortController and setTimeout.
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
  const { baseUrl, intervalMs, onMessage, onError } = options;
  // The server sends everything every time; the largest id delivered so far tells us
  // which messages are new (ids only grow).
  let lastDeliveredId = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: AbortController | undefined;

  async function pollOnce(): Promise<void> {
    inFlight = new AbortController();
    try {
      const response = await fetch(`${baseUrl}/messages`, { signal: inFlight.signal });
      if (!response.ok) throw new Error(`GET /messages answered ${response.status}`);
      const { messages } = (await response.json()) as MessageList;
      for (const message of messages) {
        if (stopped) return;
        if (message.id > lastDeliveredId) {
          lastDeliveredId = message.id;
          onMessage(message);
        }
      }
    } catch (error) {
      if (!stopped) onError?.(error);
    }
    // Schedule the next poll only now that this one is over: with setInterval a slow
    // answer would let a second request start while the first is still open.
    if (!stopped) timer = setTimeout(pollOnce, intervalMs);
  }

  void pollOnce();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      inFlight?.abort();
    },
  };
}
