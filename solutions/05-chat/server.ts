/**
 * Lesson 05 — the chat: accounts, friends, presence and private messages, pushed with held
 * polls and kept in SQLite.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { Hub } from './hub.ts';
import { RateLimiter } from './limits.ts';
import { readName } from './names.ts';
import { dummyHash, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { MAX_BATCH, MAX_CONTENT_LENGTH, type User } from './protocol.ts';
import type { Disk } from './journal.ts';
import { ChatStore } from './store.ts';

export interface ChatOptions {
  /** The database file; in memory only when omitted. */
  file?: string;
  /** How long a poll is held (default 25 s). */
  holdMs?: number;
  /** How long a user stays online after their last poll ended (default 5 s). */
  presenceGraceMs?: number;
  /** Wait this long before each journal write so more changes share it (default 0). */
  commitDelayMs?: number;
  /** No snapshot before the journal holds this many bytes (default 4 MB; database.ts). */
  snapshotMinBytes?: number;
  /** Where the journal writes (default: the real disk). The graders pass one that fails on demand. */
  disk?: Disk;
  /** Create the two demo accounts in a new database. */
  demo?: boolean;
  /** Polls one user may hold at once over all their tabs (default 8); a tab holds one. */
  maxPollsPerUser?: number;
  /** A session ends after this long without a request (default 24 hours)… */
  sessionIdleMs?: number;
  /** …and this long after its login in any case (default 7 days). */
  sessionMaxMs?: number;
  /**
   * Wrong passwords for one name from one address before that address may not try the name
   * for a while (default 5); from all addresses together, ten times as many. Counting per
   * address too means one attacker cannot lock the real user out.
   */
  failedLoginsPerName?: number;
  /** …and logins and registrations from one address (default 30), all per `limitWindowMs`. */
  passwordTriesPerAddress?: number;
  /** Friend requests (each tells whether a name exists) one user may make per `limitWindowMs` (default 30). */
  friendRequestsPerUser?: number;
  /** The window of both limits (default 60 s). */
  limitWindowMs?: number;
}

export interface ChatApp extends express.Express {
  /** Answers every held poll "cancelled"; later polls too. */
  shutdown(): void;
  /** Shuts down, waits until everything is on disk, and closes the files. */
  close(): Promise<void>;
  /** Makes a snapshot of the database now and resolves once it is in place (database.ts). */
  snapshot(): Promise<void>;
}

/** The demo accounts of the original chat: two friends, password 12345 (shorter than a new password may be: the seed chose it). */
export const DEMO_USERS = ['liger_zql', '漠然'] as const;
export const DEMO_PASSWORD = '12345';

/** What an authenticated request carries in res.locals. */
interface Session {
  user: User;
  token: string;
}

export async function createApp(options: ChatOptions = {}): Promise<ChatApp> {
  const { file, commitDelayMs, snapshotMinBytes, disk } = options;
  const store = await ChatStore.open({ file, commitDelayMs, snapshotMinBytes, disk });
  if (options.demo) {
    try {
      await createDemoAccounts(store);
    } catch (error) {
      await store.close(); // no app comes out of a failed start: nothing else would close the store's files
      throw error;
    }
  }
  const hub = new Hub({
    holdMs: options.holdMs ?? 25_000,
    graceMs: options.presenceGraceMs ?? 5_000,
    maxPollsPerUser: options.maxPollsPerUser ?? 8,
    friendsOf: (id) => store.friendsOf(id),
    userById: (id) => store.userById(id),
    messagesFor: (id, after) => store.messagesFor(id, after, MAX_BATCH),
  });
  const sessionLimits = { idleMs: options.sessionIdleMs ?? 24 * 3600_000, maxMs: options.sessionMaxMs ?? 7 * 24 * 3600_000 };
  const windowMs = options.limitWindowMs ?? 60_000;
  const failuresPerName = options.failedLoginsPerName ?? 5;
  const failuresFromAddress = new RateLimiter(failuresPerName, windowMs);
  const failuresFromAnywhere = new RateLimiter(failuresPerName * 10, windowMs);
  const triesPerAddress = new RateLimiter(options.passwordTriesPerAddress ?? 30, windowMs);
  const friendRequests = new RateLimiter(options.friendRequestsPerUser ?? 30, windowMs);

  const app = express();
  // Answers are never cached (noStore), so an ETag (a hash of each answer) would be work for nothing.
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(noStore);
  app.use(express.json({ limit: '16kb' }));

  /** Finds the user from the bearer token, or answers 401. The user is never taken from the body. */
  const requireUser: RequestHandler = (req, res, next) => {
    const token = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
    const user = token ? store.userForToken(token, sessionLimits) : undefined;
    if (!user || !token) {
      res.status(401).json({ error: 'Log in first (or again: sessions end after a while): send Authorization: Bearer <token>.' });
      return;
    }
    res.locals.session = { user, token } satisfies Session;
    next();
  };
  const sessionOf = (res: Response): Session => res.locals.session as Session;

  /**
   * Limits before expensive work: a request that would hash a password is refused with 429
   * while its address (or the name it logs in as) has tried too often — before any hashing.
   */
  const refusedTooOften = (req: Request, res: Response, nameKey?: string): boolean => {
    const address = addressOf(req);
    const waits = [triesPerAddress.retryAfter(address)];
    if (nameKey) waits.push(failuresFromAddress.retryAfter(`${address} ${nameKey}`), failuresFromAnywhere.retryAfter(nameKey));
    if (tooMany(res, Math.max(...waits))) return true;
    triesPerAddress.count(address);
    return false;
  };
  /** A wrong password for the name (key) counts against it, from this address and from all. */
  const loginFailed = (req: Request, nameKey: string): void => {
    failuresFromAddress.count(`${addressOf(req)} ${nameKey}`);
    failuresFromAnywhere.count(nameKey);
  };
  /** The right password clears this address's wrong ones for the name. */
  const loginSucceeded = (req: Request, nameKey: string): void => failuresFromAddress.reset(`${addressOf(req)} ${nameKey}`);
  /** Friend requests per user, answered 429 past the limit: each answer tells whether a name exists, and each request is a write and a notification. */
  const tooManyFriendRequests = (res: Response, userId: number): boolean => {
    if (tooMany(res, friendRequests.retryAfter(String(userId)))) return true;
    friendRequests.count(String(userId));
    return false;
  };

  app.post('/register', async (req, res) => {
    const name = readName(req.body?.name);
    if ('problem' in name) return void res.status(400).json({ error: name.problem });
    const problem = passwordProblem(req.body?.password);
    if (problem) return void res.status(400).json({ error: problem });
    if (refusedTooOften(req, res)) return;
    const hash = await hashPassword(req.body.password as string);
    const user = store.createUser(name.name, name.key, hash);
    if (!user) return void res.status(409).json({ error: `The name "${name.name}", or one that looks the same, is taken.` });
    await store.commit();
    res.status(201).json({ user });
  });

  app.post('/login', async (req, res) => {
    const name = readName(req.body?.name);
    const password = req.body?.password;
    const key = 'key' in name ? name.key : undefined;
    if (refusedTooOften(req, res, key)) return;
    const user = key ? store.userByKey(key) : undefined;
    // Check an unknown name against a stand-in hash: both cases cost one scrypt, so neither
    // the answer nor its time tells which names exist.
    const hash = (user && store.passwordHashOf(user.id)) ?? (await dummyHash());
    const matches = typeof password === 'string' && (await verifyPassword(password, hash));
    if (!user || !matches) {
      if (key) loginFailed(req, key);
      return void res.status(401).json({ error: 'Wrong name or password.' });
    }
    loginSucceeded(req, key!);
    const token = store.createSession(user.id);
    await store.commit();
    hub.sessionStarted(user.id, token);
    res.json({ token, user });
  });

  app.post('/logout', requireUser, async (_req, res) => {
    const { user, token } = sessionOf(res);
    store.deleteSession(token);
    await store.commit();
    hub.logout(user.id, token);
    res.status(204).end();
  });

  app.post('/logout/all', requireUser, async (_req, res) => {
    const { user } = sessionOf(res);
    store.deleteSessionsOf(user.id);
    await store.commit();
    hub.logoutEverywhere(user.id);
    res.status(204).end();
  });

  app.get('/me', requireUser, (_req, res) => {
    res.json({ user: sessionOf(res).user });
  });

  app.get('/friends', requireUser, (_req, res) => {
    const { user } = sessionOf(res);
    const friends = store.friendsOf(user.id).map((f) => ({ ...f, online: hub.isOnline(f.id) }));
    res.json({ friends, incoming: store.requestsTo(user.id), outgoing: store.requestsFrom(user.id) });
  });

  /** Makes two users friends (both agreed), and tells both. */
  const befriend = async (res: Response, userId: number, friend: User): Promise<void> => {
    store.addFriendship(userId, friend.id);
    await store.commit();
    hub.introduce(userId, friend.id);
    res.status(201).json({ friend: { ...friend, online: hub.isOnline(friend.id) } });
  };

  app.post('/friends', requireUser, async (req, res) => {
    const { user } = sessionOf(res);
    if (tooManyFriendRequests(res, user.id)) return;
    const name = readName(req.body?.name);
    if ('problem' in name) return void res.status(400).json({ error: 'Send { "name": "..." }: the name of the user to ask.' });
    const other = store.userByKey(name.key);
    if (!other) return void res.status(404).json({ error: `There is no user "${name.name}".` });
    if (other.id === user.id) return void res.status(400).json({ error: 'You cannot be your own friend here.' });
    if (store.areFriends(user.id, other.id)) return void res.status(409).json({ error: `${other.name} is already your friend.` });
    if (store.hasRequest(user.id, other.id)) return void res.status(409).json({ error: `You already asked ${other.name}; they have not answered yet.` });
    // They asked first: asking back is agreeing.
    if (store.hasRequest(other.id, user.id)) return befriend(res, user.id, other);
    // Consent before contact: nothing is shared until they accept.
    store.addRequest(user.id, other.id);
    await store.commit();
    hub.requested(user.id, other.id);
    res.status(202).json({ request: other });
  });

  app.post('/friends/:id/accept', requireUser, async (req, res) => {
    const { user } = sessionOf(res);
    const fromId = readId(req.params.id);
    const from = fromId === undefined ? undefined : store.userById(fromId);
    if (!from || !store.hasRequest(from.id, user.id)) return void res.status(404).json({ error: `User ${req.params.id} has not asked to be your friend.` });
    await befriend(res, user.id, from);
  });

  app.post('/friends/:id/decline', requireUser, async (req, res) => {
    const { user } = sessionOf(res);
    const fromId = readId(req.params.id);
    if (fromId === undefined || !store.hasRequest(fromId, user.id)) return void res.status(404).json({ error: `User ${req.params.id} has not asked to be your friend.` });
    store.deleteRequest(fromId, user.id);
    await store.commit();
    res.status(204).end();
  });

  app.post('/messages', requireUser, async (req, res) => {
    const { user } = sessionOf(res);
    const to = readId(req.body?.to);
    const content = req.body?.content;
    if (to === undefined) return void res.status(400).json({ error: '"to" must be the id of a friend.' });
    if (typeof content !== 'string' || content.trim() === '' || content.length > MAX_CONTENT_LENGTH) {
      return void res.status(400).json({ error: `"content" must be 1 to ${MAX_CONTENT_LENGTH} characters, not only spaces.` });
    }
    if (!store.areFriends(user.id, to)) {
      if (!store.userById(to)) return void res.status(404).json({ error: `There is no user ${to}.` });
      return void res.status(403).json({ error: 'You can only write to your friends.' });
    }
    // The sender is the logged-in user, whatever the body says.
    const message = store.addMessage(user.id, to, content);
    // Acknowledge only what is on disk: a crash after the 201 must not lose the message.
    // If the write fails, commit() throws, the store has undone the message, and the sender
    // gets 503: a message that was not acknowledged does not exist.
    await store.commit();
    hub.deliver(message);
    res.status(201).json(message);
  });

  app.get('/poll', requireUser, (req, res) => {
    const after = readCount(req.query.after);
    if (after === undefined) return void res.status(400).json({ error: '"after" must be a whole number, 0 or more: the id of the last message you have.' });
    const { user, token } = sessionOf(res);
    hub.poll(user.id, token, after, res);
  });

  app.get('/history', requireUser, (req, res) => {
    const { user } = sessionOf(res);
    const friendId = readId(req.query.with);
    const before = req.query.before === undefined ? Number.MAX_SAFE_INTEGER : readCount(req.query.before);
    const limit = req.query.limit === undefined ? 50 : readCount(req.query.limit);
    if (friendId === undefined || before === undefined || limit === undefined || limit < 1) {
      return void res.status(400).json({ error: '"with" must be a user id; "before" and "limit" (1 or more) whole numbers.' });
    }
    if (!store.areFriends(user.id, friendId)) return void res.status(403).json({ error: 'You can only read conversations with your friends.' });
    res.json({ messages: store.conversation(user.id, friendId, before, Math.min(limit, MAX_BATCH)) });
  });

  app.get('/stats', (_req, res) => {
    res.json({ waiting: hub.waiting });
  });

  app.use(unknownRoute);
  app.use(errorAsJson);
  return Object.assign(app, {
    shutdown: () => hub.shutdown(),
    async close() {
      hub.shutdown();
      await store.close();
    },
    snapshot: () => store.snapshot(),
  });
}

/** The two demo accounts, friends already, created one after the other so that their ids are always 1 and 2. */
async function createDemoAccounts(store: ChatStore): Promise<void> {
  if (store.countUsers() > 0) return;
  const users: User[] = [];
  for (const raw of DEMO_USERS) {
    const name = readName(raw);
    if ('problem' in name) throw new Error(name.problem);
    users.push(store.createUser(name.name, name.key, await hashPassword(DEMO_PASSWORD))!);
  }
  store.addFriendship(users[0]!.id, users[1]!.id);
  await store.commit();
}

/** A whole number ≥ 0 from a query string; undefined for anything else. */
function readCount(raw: unknown): number | undefined {
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/** A user id: a positive whole number, as a JSON number or a query string. */
function readId(raw: unknown): number | undefined {
  const id = typeof raw === 'number' ? raw : readCount(raw);
  return id !== undefined && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

// ---------------------------------------------------------------------------------------
// Given: limits' answers, no caching, and errors as JSON (async handlers included: express 5
// catches them).

/** The client's address, as the socket says (never a header a client can set). */
const addressOf = (req: Request): string => req.socket.remoteAddress ?? 'unknown';

/** Answers 429 with Retry-After when `waitSeconds` > 0; true when it did. */
function tooMany(res: Response, waitSeconds: number): boolean {
  if (waitSeconds <= 0) return false;
  res.status(429).set('Retry-After', String(waitSeconds)).json({ error: `Too many tries: wait ${waitSeconds} s before trying again.` });
  return true;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

const unknownRoute: RequestHandler = (req, res) => {
  res.status(404).json({ error: `There is no route ${req.method} ${req.path}.` });
};

/**
 * Errors as JSON: a body that could not be read is the client's 4xx; a write the disk refused
 * is 503 (nothing was kept, try again); anything else is a bug, shown in full in the server's
 * terminal (with its stack) and as 500 to the client.
 */
const errorAsJson: ErrorRequestHandler = (error: { status?: number; message?: string }, req: Request, res: Response, _next: NextFunction) => {
  const status = typeof error.status === 'number' && ((error.status >= 400 && error.status < 500) || error.status === 503) ? error.status : 500;
  if (status === 500) console.error(`${req.method} ${req.path} failed:`, error);
  const text = status === 500 ? 'The server failed (its terminal shows why).' : status === 503 ? (error.message ?? 'Try again.') : `The request could not be read: ${error.message ?? 'bad request'}.`;
  if (!res.headersSent) res.status(status).json({ error: text });
};
