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
  /** The session (the tab) the poll belongs to: logging out ends that session's polls only. */
  session: string;
  after: number;
  res: Response;
  timer: NodeJS.Timeout;
}

/** One piece of news about a person: a friend's presence, or a friend request. */
type News = { seq: number } & ({ kind: 'presence'; friend: Friend } | { kind: 'request'; from: User });

export interface HubOptions {
  holdMs: number;
  /** How long a user stays online after their last poll ended. */
  graceMs: number;
  /** Polls one user may have held at once, over all their tabs; a newer one answers the oldest "replaced". */
  maxPollsPerUser: number;
  friendsOf(userId: number): User[];
  userById(userId: number): User | undefined;
  /** The user's messages newer than `after` (a bounded batch). */
  messagesFor(userId: number, after: number): ChatMessage[];
}

export class Hub {
  readonly #options: HubOptions;
  /** Held polls by user id, oldest first. */
  readonly #polls = new Map<number, Set<HeldPoll>>();
  readonly #online = new Set<number>();
  readonly #goingOffline = new Map<number, NodeJS.Timeout>();
  /**
   * News about people, per user: the latest piece about each person ("ben is online", "cy
   * asks to be your friend"), numbered in the order it happened. Every tab reads all of it.
   */
  readonly #news = new Map<number, Map<string, News>>();
  /** How far each tab (session) of each user has read their news: user id → session → number. */
  readonly #readUpTo = new Map<number, Map<string, number>>();
  #newsCount = 0;
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

  /** A new session (a login): it starts reading news from now on (the page reads GET /friends for the rest). */
  sessionStarted(userId: number, session: string): void {
    this.#cursorsOf(userId).set(session, this.#newsCount);
  }

  /** A poll from `userId`: answered at once if there is news for them, otherwise held. */
  poll(userId: number, session: string, after: number, res: Response): void {
    if (this.#closed) {
      res.json({ status: 'cancelled' } satisfies PollAnswer);
      return;
    }
    this.#present(userId);
    this.#makeRoom(userId, session);
    const news = this.#newsFor(userId, session, after);
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

  /** `fromId` asks `toId` to be friends: every tab of `toId` hears of it. */
  requested(fromId: number, toId: number): void {
    const from = this.#options.userById(fromId);
    if (from) this.#add(toId, `request:${fromId}`, { kind: 'request', from });
  }

  /** A session logged out: its polls are cancelled; with no other poll, the user is offline at once. */
  logout(userId: number, session: string): void {
    for (const poll of [...this.#pollsOf(userId)]) if (poll.session === session) this.#answer(poll, { status: 'cancelled' });
    this.#cursorsOf(userId).delete(session);
    if (this.#pollsOf(userId).size === 0) this.#goOffline(userId);
  }

  /** Every session of the user logged out at once. */
  logoutEverywhere(userId: number): void {
    for (const poll of [...this.#pollsOf(userId)]) this.#answer(poll, { status: 'cancelled' });
    this.#readUpTo.delete(userId);
    this.#goOffline(userId);
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

  #cursorsOf(userId: number): Map<string, number> {
    let cursors = this.#readUpTo.get(userId);
    if (!cursors) this.#readUpTo.set(userId, (cursors = new Map()));
    return cursors;
  }

  /**
   * A tab holds one poll at a time, and a user a few: a newer poll answers the older ones
   * "replaced". One account cannot hold hundreds of connections (and file handles) open.
   */
  #makeRoom(userId: number, session: string): void {
    const polls = this.#pollsOf(userId);
    for (const poll of [...polls]) if (poll.session === session) this.#answer(poll, { status: 'replaced' });
    for (const poll of [...polls]) {
      if (polls.size < this.#options.maxPollsPerUser) break;
      this.#answer(poll, { status: 'replaced' });
    }
  }

  /** What this tab is missing: messages first, then news about people; undefined if nothing. */
  #newsFor(userId: number, session: string, after: number): PollAnswer | undefined {
    const messages = this.#options.messagesFor(userId, after);
    if (messages.length > 0) return { status: 'messages', messages };
    const cursors = this.#cursorsOf(userId);
    const readUpTo = cursors.get(session) ?? 0;
    const unread = [...(this.#news.get(userId)?.values() ?? [])].filter((news) => news.seq > readUpTo);
    if (unread.length === 0) return undefined;
    cursors.set(session, this.#newsCount);
    return {
      status: 'presence',
      presence: unread.flatMap((news) => (news.kind === 'presence' ? [news.friend] : [])),
      requests: unread.flatMap((news) => (news.kind === 'request' ? [news.from] : [])),
    };
  }

  /** Answers the user's held polls that now have news (each from its own `after` and its own tab's news). */
  #wake(userId: number): void {
    for (const poll of [...this.#pollsOf(userId)]) {
      const news = this.#newsFor(userId, poll.session, poll.after);
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
    // They will read a fresh friend list when they come back: forget their news and tabs.
    this.#news.delete(userId);
    this.#readUpTo.delete(userId);
    this.#tellFriends(userId);
  }

  #tellFriends(userId: number): void {
    for (const friend of this.#options.friendsOf(userId)) this.#tell(friend.id, userId);
  }

  /** Tells `userId` (every tab) that `aboutId` is online / offline. */
  #tell(userId: number, aboutId: number): void {
    const about = this.#options.userById(aboutId);
    if (about) this.#add(userId, `presence:${aboutId}`, { kind: 'presence', friend: { ...about, online: this.#online.has(aboutId) } });
  }

  /** Keeps the news (the latest per subject) for every tab of `userId`, and wakes their held polls. */
  #add(userId: number, subject: string, news: { kind: 'presence'; friend: Friend } | { kind: 'request'; from: User }): void {
    let log = this.#news.get(userId);
    if (!log) this.#news.set(userId, (log = new Map()));
    log.delete(subject); // re-added at the end: the log stays in the order things happened
    log.set(subject, { ...news, seq: ++this.#newsCount });
    this.#wake(userId);
  }
}
