/**
 * Who is waiting, and who is online. The held polls are kept per user — the old ASP.NET
 * chat kept a dictionary keyed by recipient — so a private message goes to the polls of
 * exactly two people: its recipient, and its sender (their other tabs).
 *
 * A user is online while they have a poll held, and for a short grace time after their
 * last poll ended: between two polls (a few milliseconds, or a second of back-off) they
 * are still there. Friends hear of every change through their own polls.
 *
 * @module
 */
import type { Response } from 'express';
import type { ChatMessage, Friend, PollAnswer, User } from './protocol.ts';

interface HeldPoll {
  userId: number;
  /** The session the poll belongs to (logging out ends that session's polls only). */
  session: string;
  after: number;
  res: Response;
  timer: NodeJS.Timeout;
}

export interface HubOptions {
  holdMs: number;
  /** How long a user stays online after their last poll ended. */
  graceMs: number;
  friendsOf(userId: number): User[];
  userById(userId: number): User | undefined;
  /** The user's messages newer than `after` (a bounded batch). */
  messagesFor(userId: number, after: number): ChatMessage[];
}

export class Hub {
  readonly #options: HubOptions;
  /** Held polls by user id. */
  readonly #polls = new Map<number, Set<HeldPoll>>();
  readonly #online = new Set<number>();
  readonly #goingOffline = new Map<number, NodeJS.Timeout>();
  /** Presence changes a user has not been told yet, by user id, then by friend id. */
  readonly #news = new Map<number, Map<number, Friend>>();
  #closed = false;

  constructor(options: HubOptions) {
    this.#options = options;
  }

  isOnline(userId: number): boolean {
    return this.#online.has(userId);
  }

  get waiting(): number {
    let count = 0;
    for (const polls of this.#polls.values()) count += polls.size;
    return count;
  }

  /** A poll from `userId`: answered at once if there is news for them, otherwise held. */
  poll(userId: number, session: string, after: number, res: Response): void {
    if (this.#closed) {
      res.json({ status: 'cancelled' } satisfies PollAnswer);
      return;
    }
    this.#present(userId);
    const news = this.#newsFor(userId, after);
    if (news) {
      res.json(news);
      this.#maybeLeaving(userId);
      return;
    }
    const poll: HeldPoll = { userId, session, after, res, timer: setTimeout(() => this.#answer(poll, { status: 'timeout' }), this.#options.holdMs) };
    this.#pollsOf(userId).add(poll);
    res.on('close', () => {
      if (!res.writableFinished) this.#forget(poll);
    });
  }

  /** A stored message: wake the polls of its recipient and of its sender, nobody else's. */
  deliver(message: ChatMessage): void {
    for (const userId of new Set([message.to, message.from])) this.#wake(userId);
  }

  /** Two users just became friends: each learns of the other (and whether they are online). */
  introduce(userId: number, otherId: number): void {
    this.#tell(userId, otherId);
    this.#tell(otherId, userId);
  }

  /** A session logged out: its polls are cancelled; with no other poll, the user is offline at once. */
  logout(userId: number, session: string): void {
    for (const poll of [...this.#pollsOf(userId)]) if (poll.session === session) this.#answer(poll, { status: 'cancelled' });
    if (this.#pollsOf(userId).size === 0) this.#goOffline(userId);
  }

  /** Cancels every held poll; later polls are answered "cancelled" at once. */
  shutdown(): void {
    this.#closed = true;
    for (const polls of [...this.#polls.values()]) for (const poll of [...polls]) this.#answer(poll, { status: 'cancelled' });
    for (const timer of this.#goingOffline.values()) clearTimeout(timer);
    this.#goingOffline.clear();
  }

  #pollsOf(userId: number): Set<HeldPoll> {
    let polls = this.#polls.get(userId);
    if (!polls) this.#polls.set(userId, (polls = new Set()));
    return polls;
  }

  /** What the user is missing: messages first, then presence changes; undefined if nothing. */
  #newsFor(userId: number, after: number): PollAnswer | undefined {
    const messages = this.#options.messagesFor(userId, after);
    if (messages.length > 0) return { status: 'messages', messages };
    const presence = this.#news.get(userId);
    if (presence && presence.size > 0) {
      this.#news.delete(userId);
      return { status: 'presence', presence: [...presence.values()] };
    }
    return undefined;
  }

  /** Answers the user's held polls that now have news (each from its own `after`). */
  #wake(userId: number): void {
    for (const poll of [...this.#pollsOf(userId)]) {
      const news = this.#newsFor(userId, poll.after);
      if (news) this.#answer(poll, news);
    }
  }

  #forget(poll: HeldPoll): void {
    clearTimeout(poll.timer);
    this.#pollsOf(poll.userId).delete(poll);
    this.#maybeLeaving(poll.userId);
  }

  #answer(poll: HeldPoll, answer: PollAnswer): void {
    this.#forget(poll);
    if (!poll.res.writableEnded && !poll.res.destroyed) poll.res.json(answer);
  }

  /** The user polls: cancel a pending "offline", and if they were offline, tell their friends. */
  #present(userId: number): void {
    clearTimeout(this.#goingOffline.get(userId));
    this.#goingOffline.delete(userId);
    if (this.#online.has(userId)) return;
    this.#online.add(userId);
    this.#tellFriends(userId);
  }

  /** With no poll left, the user goes offline after the grace time, unless they poll again. */
  #maybeLeaving(userId: number): void {
    if (this.#closed || this.#pollsOf(userId).size > 0 || this.#goingOffline.has(userId)) return;
    this.#goingOffline.set(userId, setTimeout(() => this.#goOffline(userId), this.#options.graceMs));
  }

  #goOffline(userId: number): void {
    clearTimeout(this.#goingOffline.get(userId));
    this.#goingOffline.delete(userId);
    if (!this.#online.delete(userId)) return;
    this.#news.delete(userId); // they will read a fresh friend list when they come back
    this.#tellFriends(userId);
  }

  #tellFriends(userId: number): void {
    for (const friend of this.#options.friendsOf(userId)) this.#tell(friend.id, userId);
  }

  /** Queues "`aboutId` is online / offline" for `userId`, and wakes their held polls. */
  #tell(userId: number, aboutId: number): void {
    const about = this.#options.userById(aboutId);
    if (!about) return;
    let news = this.#news.get(userId);
    if (!news) this.#news.set(userId, (news = new Map()));
    news.set(aboutId, { id: about.id, name: about.name, online: this.#online.has(aboutId) });
    this.#wake(userId);
  }
}
