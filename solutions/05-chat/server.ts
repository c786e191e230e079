/**
 * Lesson 05 — the chat: accounts, friends, presence and private messages, pushed with held
 * polls and kept in SQLite.
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

  app.post('/register', async (req, res) => {
    const name = readName(req.body?.name);
    const password = req.body?.password;
    if (!name) return void res.status(400).json({ error: `"name" must be 1 to ${MAX_NAME_LENGTH} characters, not only spaces, with no control characters.` });
    if (!isPassword(password)) return void res.status(400).json({ error: `"password" must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.` });
    const user = store.createUser(name, await hashPassword(password));
    if (!user) return void res.status(409).json({ error: `The name "${name}" is taken.` });
    await store.commit();
    res.status(201).json({ user });
  });

  app.post('/login', async (req, res) => {
    const name = readName(req.body?.name);
    const password = req.body?.password;
    const user = name ? store.userByName(name) : undefined;
    const hash = user ? store.passwordHashOf(user.id) : undefined;
    // One answer for an unknown name and a wrong password: do not tell which names exist.
    if (!user || !hash || typeof password !== 'string' || !(await verifyPassword(password, hash))) {
      return void res.status(401).json({ error: 'Wrong name or password.' });
    }
    const token = store.createSession(user.id);
    await store.commit();
    res.json({ token, user });
  });

  app.post('/logout', requireUser, async (_req, res) => {
    const { user, token } = sessionOf(res);
    store.deleteSession(token);
    await store.commit();
    hub.logout(user.id, token);
    res.status(204).end();
  });

  app.get('/me', requireUser, (_req, res) => {
    res.json({ user: sessionOf(res).user });
  });

  app.get('/friends', requireUser, (_req, res) => {
    const friends = store.friendsOf(sessionOf(res).user.id).map((f) => ({ ...f, online: hub.isOnline(f.id) }));
    res.json({ friends });
  });

  app.post('/friends', requireUser, async (req, res) => {
    const { user } = sessionOf(res);
    const name = readName(req.body?.name);
    const friend = name ? store.userByName(name) : undefined;
    if (!name) return void res.status(400).json({ error: 'Send { "name": "..." }: the name of the user to add.' });
    if (!friend) return void res.status(404).json({ error: `There is no user "${name}".` });
    if (friend.id === user.id) return void res.status(400).json({ error: 'You cannot be your own friend here.' });
    if (store.areFriends(user.id, friend.id)) return void res.status(409).json({ error: `${friend.name} is already your friend.` });
    store.addFriendship(user.id, friend.id);
    await store.commit();
    hub.introduce(user.id, friend.id);
    res.status(201).json({ friend: { ...friend, online: hub.isOnline(friend.id) } });
  });

  app.post('/messages', requireUser, async (req, res) => {
    const { user } = sessionOf(res);
    const to = readId(req.body?.to);
    const content = req.body?.content;
    if (to === undefined) return void res.status(400).json({ error: '"to" must be the id of a friend.' });
    if (typeof content !== 'string' || content.trim() === '' || content.length > MAX_CONTENT_LENGTH) {
      return void res.status(400).json({ error: `"content" must be 1 to ${MAX_CONTENT_LENGTH} characters, not only spaces.` });
    }
    if (!store.userById(to)) return void res.status(404).json({ error: `There is no user ${to}.` });
    if (!store.areFriends(user.id, to)) return void res.status(403).json({ error: 'You can only write to your friends.' });
    // The sender is the logged-in user, whatever the body says.
    const message = store.addMessage(user.id, to, content);
    // Acknowledge only what is on disk: a crash after the 201 must not lose the message.
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
