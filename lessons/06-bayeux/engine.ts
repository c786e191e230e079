/**
 * Sessions: who the clients are, what is waiting for each of them, and the one
 * `/meta/connect` each may have held at the server. The HTTP side (server.ts) calls it;
 * it knows nothing of HTTP.
 *
 * Your task: TODOs 4 to 7. disconnect(), shutdown(), close() and the helpers at the bottom
 * are given. `npm run verify -- 6` grades your work.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { Subscriptions } from './channels.ts';

export interface EngineOptions {
  /** How long a `/meta/connect` is held when nothing is waiting. */
  timeoutMs: number;
  /** How long a client waits between two connects (advice.interval). */
  intervalMs: number;
  /** Extra grace before a client that stopped connecting is removed. */
  sessionMarginMs: number;
  /** Messages kept for one client between connects; the oldest are dropped first. */
  maxQueue: number;
  maxClients: number;
  maxClientsPerAddress: number;
}

/**
 * How a held connect is answered: with the messages waiting for its client (each already
 * JSON). Returns false when its response is closed already, so that the messages are kept
 * for the next connect instead of being lost.
 */
export type AnswerConnect = (messages: readonly string[]) => boolean;

/** A `/meta/connect` being held: how to answer it, and its time limit. */
interface HeldConnect {
  answer: AnswerConnect;
  timer: NodeJS.Timeout;
}

/** One client, from its handshake until it disconnects or expires. */
interface Session {
  readonly id: string;
  readonly address: string;
  /** Messages waiting for the next connect, oldest first, each serialised once. */
  queue: string[];
  /** The connect held for this client, if any: at most one. */
  held: HeldConnect | undefined;
  /** Runs out when the client has not connected for too long (only while nothing is held). */
  expiry: NodeJS.Timeout | undefined;
}

export class Engine {
  readonly subscriptions = new Subscriptions();
  readonly #options: EngineOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #perAddress = new Map<string, number>();
  /** Clients with new messages and a held connect, answered once the current batch is done. */
  readonly #toWake = new Set<Session>();
  #wakeScheduled = false;
  #shuttingDown = false;

  constructor(options: EngineOptions) {
    this.#options = options;
  }

  /** How many clients there are now. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * A new client, from `address`: its clientId, or undefined when the server (or that
   * address) has as many clients as it takes.
   */
  handshake(address: string): string | undefined {
    // TODO 4: refuse (undefined) when there are maxClients sessions already, or
    //   maxClientsPerAddress from this address (#perAddress counts them; disconnect() counts
    //   down). Otherwise a new Session in #sessions, under a clientId nobody can guess: 128
    //   random bits or more (randomBytes(16) in base64url or hex), never a counter. A new
    //   client has not connected yet: start its expiry.
    void address;
    void randomBytes;
    return undefined;
  }

  has(clientId: unknown): clientId is string {
    return typeof clientId === 'string' && this.#sessions.has(clientId);
  }

  /**
   * The client's `/meta/connect`: answered at once when messages are waiting (or
   * `holdMs` is 0), otherwise held until a message comes, `holdMs` passes, a newer
   * connect arrives or the client disconnects. Returns a function that forgets the held
   * connect (call it when its response closes before it was answered).
   */
  connect(clientId: string, answer: AnswerConnect, holdMs: number): () => void {
    const session = this.#sessions.get(clientId)!;
    // TODO 5: this is lesson 02's held poll, one per client.
    //   - A connect already held for this client is answered at once, with nothing
    //     (#answerHeld(session, [])): the client has given up on it.
    //   - The client is connected now: clear its expiry timer.
    //   - Messages waiting (or holdMs 0, or shutting down): answer at once with the queue
    //     (#answerNow). Otherwise hold it: session.held = { answer, timer }, the timer
    //     answering it with the queue after holdMs.
    //   - Return a function that forgets the held connect (its response closed): if it is
    //     still the one held, clear its timer, drop it, and start the expiry again.
    //   For now every connect is answered at once.
    this.#answerNow(session, answer);
    void holdMs;
    return () => undefined;
  }

  subscribe(clientId: string, patterns: readonly string[]): void {
    for (const pattern of patterns) this.subscriptions.subscribe(clientId, pattern);
  }

  unsubscribe(clientId: string, patterns: readonly string[]): void {
    for (const pattern of patterns) this.subscriptions.unsubscribe(clientId, pattern);
  }

  /**
   * Queues `message` (already JSON: serialised once, whatever the number of recipients)
   * for every client subscribed to a pattern matching `channel`. Held connects are
   * answered once the current batch is done, so that several messages published in one
   * request reach a client in one answer.
   */
  publish(channel: string, message: string): void {
    // TODO 6: for every recipient of the channel (subscriptions.recipients), push the
    //   message on its session's queue; a queue longer than maxQueue loses its oldest
    //   message. A session with a held connect goes in #toWake: the lines below answer those
    //   once the whole batch is handled.
    void message;
    if (this.#toWake.size > 0 && !this.#wakeScheduled) {
      this.#wakeScheduled = true;
      queueMicrotask(() => this.#wake());
    }
  }

  /** Removes the client, its subscriptions and its queue; its held connect is answered. */
  disconnect(clientId: string): void {
    const session = this.#sessions.get(clientId);
    if (!session) return;
    this.#sessions.delete(clientId);
    const left = (this.#perAddress.get(session.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(session.address, left);
    else this.#perAddress.delete(session.address);
    this.subscriptions.forget(clientId);
    this.#toWake.delete(session);
    clearTimeout(session.expiry);
    if (session.held) {
      clearTimeout(session.held.timer);
      session.held.answer([]);
      session.held = undefined;
    }
  }

  /** Answers every held connect; later connects are answered at once. Clients may reconnect elsewhere. */
  shutdown(): void {
    this.#shuttingDown = true;
    for (const session of this.#sessions.values()) if (session.held) this.#answerHeld(session, session.queue);
  }

  /** shutdown(), then every client removed and every timer cleared. */
  close(): void {
    this.shutdown();
    for (const clientId of [...this.#sessions.keys()]) this.disconnect(clientId);
  }

  #wake(): void {
    this.#wakeScheduled = false;
    for (const session of this.#toWake) if (session.held) this.#answerHeld(session, session.queue);
    this.#toWake.clear();
  }

  /** Answers the held connect of `session` with `messages` (its queue, or nothing). */
  #answerHeld(session: Session, messages: readonly string[]): void {
    const held = session.held!;
    clearTimeout(held.timer);
    session.held = undefined;
    this.#answerNow(session, held.answer, messages);
  }

  /** Answers a connect; the messages it carried leave the queue only if the answer was written. */
  #answerNow(session: Session, answer: AnswerConnect, messages: readonly string[] = session.queue): void {
    const sent = answer(messages);
    if (sent && messages === session.queue) session.queue = [];
    this.#startExpiry(session);
  }

  /** From now, the client must connect again within timeout + interval + margin, or it is removed. */
  #startExpiry(session: Session): void {
    // TODO 7: a client that was answered may take timeoutMs (its next connect's own wait),
    //   plus intervalMs (the pause advice asks for), plus sessionMarginMs (the network) to
    //   connect again. After that it is gone: a timer (in session.expiry, replacing any
    //   earlier one) that disconnects it. Not for a session already removed.
    void session;
  }
}
