/**
 * Sessions: who the clients are, what is waiting for each of them, and the one
 * `/meta/connect` each may have held at the server. The HTTP side (server.ts) calls it;
 * it knows nothing of HTTP.
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
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (this.#sessions.size >= this.#options.maxClients || fromAddress >= this.#options.maxClientsPerAddress) return undefined;
    // The clientId is all a client shows to be itself, so it must not be guessable:
    // 128 random bits, never a counter.
    const id = randomBytes(16).toString('base64url');
    const session: Session = { id, address, queue: [], held: undefined, expiry: undefined };
    this.#sessions.set(id, session);
    this.#perAddress.set(address, fromAddress + 1);
    this.#startExpiry(session);
    return id;
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
    // One connect per client is held. A newer one means the client has given up on the
    // older (its request timed out, say): answer the older at once, with nothing, and the
    // messages go with the newer one.
    if (session.held) this.#answerHeld(session, []);
    // The client is here: it is not expiring while it is connected.
    clearTimeout(session.expiry);
    session.expiry = undefined;
    if (session.queue.length > 0 || holdMs <= 0 || this.#shuttingDown) {
      this.#answerNow(session, answer);
      return () => undefined;
    }
    // Nothing to send: hold it, as lesson 02 held a poll. The answer goes out the moment a
    // message for this client exists, instead of the client asking again and again for
    // nothing; the timer ends the wait before a proxy would cut the idle request (lesson 03).
    const held: HeldConnect = { answer, timer: setTimeout(() => this.#answerHeld(session, session.queue), holdMs) };
    session.held = held;
    return () => {
      if (session.held !== held) return;
      clearTimeout(held.timer);
      session.held = undefined;
      this.#startExpiry(session);
    };
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
    for (const clientId of this.subscriptions.recipients(channel)) {
      const session = this.#sessions.get(clientId)!;
      session.queue.push(message);
      // A client that does not come back must not make the server run out of memory:
      // its queue keeps the newest maxQueue messages.
      if (session.queue.length > this.#options.maxQueue) session.queue.shift();
      if (session.held) this.#toWake.add(session);
    }
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
    if (!this.#sessions.has(session.id)) return;
    clearTimeout(session.expiry);
    const { timeoutMs, intervalMs, sessionMarginMs } = this.#options;
    session.expiry = setTimeout(() => this.disconnect(session.id), timeoutMs + intervalMs + sessionMarginMs);
  }
}
