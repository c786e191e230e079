/**
 * Lesson 05 — the chat: accounts, friends, presence and private messages, pushed with held
 * polls and kept in SQLite.
 *
 * Your task: TODOs 14 to 21, the routes. requireUser (who is asking) is given: put it on
 * every route that needs a logged-in user.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { Hub } from './hub.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { MAX_BATCH, MAX_CONTENT_LENGTH, MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type User } from './protocol.ts';
import { ChatStore } from './store.ts';

export interface ChatOptions {
  /** The database file; in memory only when omitted. */
  file?: string;
  /** How long a poll is held (default 25 s). */
  holdMs?: number;
  /** How long a user stays online after their last poll ended (default 5 s). */
  presenceGraceMs?: number;
  /** Wait this long before each disk write so more changes share it (default 0). */
  commitDelayMs?: number;
  /** Create the two demo accounts in a new database. */
  demo?: boolean;
}

export interface ChatApp extends express.Express {
  /** Answers every held poll "cancelled"; later polls too. */
  shutdown(): void;
  /** Shuts down and waits until everything is on disk. */
  close(): Promise<void>;
}

/** The demo accounts of the original chat: two friends, password 12345. */
export const DEMO_USERS = ['liger_zql', '漠然'] as const;
export const DEMO_PASSWORD = '12345';

/** What an authenticated request carries in res.locals. */
interface Session {
  user: User;
  token: string;
}

export async function createApp(options: ChatOptions = {}): Promise<ChatApp> {
  const store = await ChatStore.open(options.file, options.commitDelayMs ?? 0);
  if (options.demo) await createDemoAccounts(store);
  const hub = new Hub({
    holdMs: options.holdMs ?? 25_000,
    graceMs: options.presenceGraceMs ?? 5_000,
    friendsOf: (id) => store.friendsOf(id),
    userById: (id) => store.userById(id),
    messagesFor: (id, after) => store.messagesFor(id, after, MAX_BATCH),
  });

  const app = express();
  app.use(noStore);
  app.use(express.json({ limit: '16kb' }));

  /** Finds the user from the bearer token, or answers 401. The user is never taken from the body. */
  const requireUser: RequestHandler = (req, res, next) => {
    const token = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
    const user = token ? store.userForToken(token) : undefined;
    if (!user || !token) {
      res.status(401).json({ error: 'Log in first: send Authorization: Bearer <token>.' });
      return;
    }
    res.locals.session = { user, token } satisfies Session;
    next();
  };
  const sessionOf = (res: Response): Session => res.locals.session as Session;

  // Each route: see the table in protocol.ts and the lesson's README.
  const notYet = (route: string): RequestHandler => (_req, res) => {
    res.status(501).json({ error: `${route} is not written yet (lessons/05-chat/server.ts)` });
  };
  // TODO 14: POST /register — a valid name (readName) and password (isPassword), else 400;
  //   hash the password; 409 if the name is taken; await store.commit(); 201 { user }.
  app.post('/register', notYet('POST /register'));
  // TODO 15: POST /login — 401 (one message for both cases) unless the user exists and
  //   verifyPassword agrees; then a session token; await store.commit(); 200 { token, user }.
  app.post('/login', notYet('POST /login'));
  // TODO 16: POST /logout (requireUser) — delete the session, commit, hub.logout, 204.
  app.post('/logout', notYet('POST /logout'));
  // TODO 17: GET /me and GET /friends (requireUser) — friends with online: hub.isOnline(id).
  app.get('/me', notYet('GET /me'));
  app.get('/friends', notYet('GET /friends'));
  // TODO 18: POST /friends (requireUser) — 400 / 404 / 400 (yourself) / 409, else
  //   addFriendship, commit, hub.introduce, 201 { friend }.
  app.post('/friends', notYet('POST /friends'));
  // TODO 19: POST /messages (requireUser) — check "to" (readId) and "content"; 404 unknown,
  //   403 not a friend; store it FROM THE TOKEN'S USER; await store.commit() BEFORE the 201;
  //   then hub.deliver(message).
  app.post('/messages', notYet('POST /messages'));
  // TODO 20: GET /poll?after=N (requireUser) — readCount(after) or 400; hub.poll(...).
  app.get('/poll', notYet('GET /poll'));
  // TODO 21: GET /history?with=ID&before=ID&limit=N (requireUser) — 400 for bad numbers,
  //   403 unless friends, else { messages: store.conversation(...) } (limit at most MAX_BATCH).
  app.get('/history', notYet('GET /history'));
  void requireUser;
  void sessionOf;
  void hashPassword;
  void verifyPassword;
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
      await store.commit();
    },
  });
}

async function createDemoAccounts(store: ChatStore): Promise<void> {
  if (store.countUsers() > 0) return;
  const [a, b] = await Promise.all(DEMO_USERS.map(async (name) => store.createUser(name, await hashPassword(DEMO_PASSWORD))));
  store.addFriendship(a!.id, b!.id);
  await store.commit();
}

/** A user name: NFC-normalised and trimmed, 1..MAX_NAME_LENGTH characters, no control characters. */
function readName(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const name = raw.normalize('NFC').trim();
  const length = [...name].length;
  return length >= 1 && length <= MAX_NAME_LENGTH && !/\p{Cc}/u.test(name) ? name : undefined;
}

function isPassword(raw: unknown): raw is string {
  return typeof raw === 'string' && raw.length >= MIN_PASSWORD_LENGTH && raw.length <= MAX_PASSWORD_LENGTH;
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
// Given: no caching, and errors as JSON (async handlers included: express 5 catches them).

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

const unknownRoute: RequestHandler = (req, res) => {
  res.status(404).json({ error: `There is no route ${req.method} ${req.path}.` });
};

const errorAsJson: ErrorRequestHandler = (error: { status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
  const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  const text = status === 500 ? 'The server failed.' : `The request could not be read: ${error.message ?? 'bad request'}.`;
  if (!res.headersSent) res.status(status).json({ error: text });
};
