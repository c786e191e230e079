/**
 * Lesson 05 — the chat: accounts, friends, presence and private messages, pushed with held
 * polls and kept in SQLite.
 *
 * Your task: TODOs 15 to 23, the routes. requireUser (who is asking) and refusedTooOften
 * (limits before expensive work) are given: put them where they belong.
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

  // Each route: see the table in protocol.ts and the lesson's README.
  const notYet = (route: string): RequestHandler => (_req, res) => {
    res.status(501).json({ error: `${route} is not written yet (lessons/05-chat/server.ts)` });
  };
  // TODO 15: POST /register — a name (readName, names.ts) and a password (passwordProblem,
  //   passwords.ts) that pass their checks, or 400 saying what is wrong; then the limits
  //   (refusedTooOften) BEFORE the expensive hashing; 409 when the name, or one that looks
  //   the same, is taken; 201 { user } only once it is on disk.
  app.post('/register', notYet('POST /register'));
  // TODO 16: POST /login — limits first (refusedTooOften with the name's key); then the same
  //   answer, 401, for an unknown name and a wrong password, in the same time: an unknown
  //   name is checked against dummyHash(). A wrong password counts against the name
  //   (loginFailed), a right one clears this address's count (loginSucceeded). A new
  //   session, on disk, then hub.sessionStarted, then 200 { token, user }.
  app.post('/login', notYet('POST /login'));
  // TODO 17: POST /logout and POST /logout/all (requireUser) — the session (or every session
  //   of the user) is gone from the disk before the hub hears of it; 204.
  app.post('/logout', notYet('POST /logout'));
  app.post('/logout/all', notYet('POST /logout/all'));
  // TODO 18: GET /me and GET /friends (requireUser) — friends with whether each is online,
  //   and the requests waiting in both directions.
  app.get('/me', notYet('GET /me'));
  app.get('/friends', notYet('GET /friends'));
  // TODO 19: POST /friends (requireUser) — limited first (tooManyFriendRequests: each answer
  //   tells whether a name exists). Consent before contact: asking stores a request
  //   (202 { request }) and tells the other side (hub.requested); nothing is shared until
  //   they accept. Asking back someone who asked you is accepting. 400 / 404 / 400 (yourself)
  //   / 409 (friends already, or asked already) as protocol.ts says.
  app.post('/friends', notYet('POST /friends'));
  // TODO 20: POST /friends/:id/accept and /decline (requireUser) — only a request that exists
  //   (404 otherwise). Accepting makes friends and tells both (hub.introduce): 201 { friend }.
  app.post('/friends/:id/accept', notYet('POST /friends/:id/accept'));
  app.post('/friends/:id/decline', notYet('POST /friends/:id/decline'));
  // TODO 21: POST /messages (requireUser) — the sender is the token's user, whatever the body
  //   says; to a friend only. Acknowledge (201) only what is on disk, and wake the polls only
  //   then; when the write fails, let the error through: the store has undone the message,
  //   and errorAsJson answers 503.
  app.post('/messages', notYet('POST /messages'));
  // TODO 22: GET /poll?after=N (requireUser) — a bad `after` is 400; the rest is the hub's.
  app.get('/poll', notYet('GET /poll'));
  // TODO 23: GET /history?with=ID&before=ID&limit=N (requireUser) — 400 for numbers that are
  //   not whole, 403 unless friends, else one page (at most MAX_BATCH).
  app.get('/history', notYet('GET /history'));
  void requireUser;
  void sessionOf;
  void refusedTooOften;
  void loginFailed;
  void loginSucceeded;
  void tooManyFriendRequests;
  void hashPassword;
  void verifyPassword;
  void dummyHash;
  void passwordProblem;
  void readName;
  void readId;
  void readCount;
  void MAX_BATCH;
  void MAX_CONTENT_LENGTH;

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
