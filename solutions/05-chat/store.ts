/**
 * The chat's data in SQLite (sql.js: SQLite compiled to WebAssembly, the whole database in
 * memory, kept on disk by database.ts: a journal of every change, and snapshots). Three
 * tables, as in the old ASP.NET chat this lesson comes from — users, the relations between
 * them, and the messages — and two more: login sessions, and friend requests not answered yet.
 *
 * Every query takes its values as bound parameters (`?`), never pasted into the SQL text:
 * a name like `x'); DROP TABLE users; --` is then just a name.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SqlValue } from 'sql.js';
import { DurableDatabase, type DurabilityOptions } from './database.ts';
import type { ChatMessage, User } from './protocol.ts';

/** Bumped when the tables change: a file of another version is moved aside, not misread. */
const SCHEMA_VERSION = 2;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created       INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS relations (
    user_id   INTEGER NOT NULL REFERENCES users (id),
    friend_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (user_id, friend_id)
  );
  CREATE TABLE IF NOT EXISTS friend_requests (
    from_id INTEGER NOT NULL REFERENCES users (id),
    to_id   INTEGER NOT NULL REFERENCES users (id),
    created INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_id)
  );
  CREATE TABLE IF NOT EXISTS messages (
    id      INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL REFERENCES users (id),
    to_id   INTEGER NOT NULL REFERENCES users (id),
    content TEXT NOT NULL,
    time    INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS messages_to ON messages (to_id, id);
  CREATE INDEX IF NOT EXISTS messages_from ON messages (from_id, id);
  CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created    INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
  -- A deleted row is overwritten, not just unlinked: an ended session, a declined request
  -- leave no trace in the file.
  PRAGMA secure_delete = ON;
`;

const MESSAGE_COLUMNS = 'id, from_id AS "from", to_id AS "to", content, time';

/** Tokens are stored hashed: a copy of the database does not let anyone log in. */
const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** How long a session lasts. */
export interface SessionLimits {
  /** Ends after this long without a request. */
  idleMs: number;
  /** Ends this long after the login, however busy. */
  maxMs: number;
}

export class ChatStore {
  #db!: DurableDatabase;
  /**
   * The newest message id that is on disk. Readers see messages up to here and no further:
   * a message still being written could vanish in a crash, and its id come back with other
   * content after the restart.
   */
  #durableId = 0;
  /** The newest message id in the write that is running. */
  #writingId = 0;

  private constructor() {}

  /** Opens the database in `options.file` (created if missing), or in memory only when no file is given. */
  static async open(options: DurabilityOptions = {}): Promise<ChatStore> {
    if (options.file) mkdirSync(path.dirname(options.file), { recursive: true });
    const store = new ChatStore();
    store.#db = await DurableDatabase.open({ sql: SCHEMA, version: SCHEMA_VERSION }, options, {
      taken: () => (store.#writingId = store.#newestMessageId()),
      written: () => (store.#durableId = Math.max(store.#durableId, store.#writingId)),
    });
    store.#durableId = store.#newestMessageId(); // everything loaded from disk is on disk
    return store;
  }

  /** Resolves once every change made so far is safely on disk; rejects (WriteFailed, 503) if the disk refused it, and then the changes are undone. */
  commit(): Promise<void> {
    return this.#db.commit();
  }

  /** Makes a snapshot now (for the bench and the tests; the store makes its own when the journal has grown). */
  snapshot(): Promise<void> {
    return this.#db.snapshot();
  }

  /** Writes what is left and closes the files. */
  async close(): Promise<void> {
    await this.#db.commit().catch(() => undefined); // a failure was told to whoever asked
    await this.#db.close();
  }

  #newestMessageId(): number {
    return this.#one<{ id: number | null }>('SELECT max(id) AS id FROM messages')?.id ?? 0;
  }

  #all<T>(sql: string, params: SqlValue[] = []): T[] {
    return this.#db.all<T>(sql, params);
  }

  #one<T>(sql: string, params: SqlValue[] = []): T | undefined {
    return this.#all<T>(sql, params)[0];
  }

  #run(sql: string, params: SqlValue[] = []): void {
    this.#db.run(sql, params);
  }

  // --- users --------------------------------------------------------------------------

  /** Creates a user; undefined when the name, or one that looks the same (the same `key`), is taken. */
  createUser(name: string, key: string, passwordHash: string): User | undefined {
    if (this.#one('SELECT 1 AS taken FROM users WHERE name_key = ?', [key])) return undefined;
    this.#run('INSERT INTO users (name, name_key, password_hash, created) VALUES (?, ?, ?, ?)', [name, key, passwordHash, Date.now()]);
    return this.userByKey(key);
  }

  /** The user whose name looks like this one (see names.ts). */
  userByKey(key: string): User | undefined {
    return this.#one<User>('SELECT id, name FROM users WHERE name_key = ?', [key]);
  }

  userById(id: number): User | undefined {
    return this.#one<User>('SELECT id, name FROM users WHERE id = ?', [id]);
  }

  passwordHashOf(userId: number): string | undefined {
    return this.#one<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = ?', [userId])?.password_hash;
  }

  countUsers(): number {
    return this.#one<{ n: number }>('SELECT count(*) AS n FROM users')?.n ?? 0;
  }

  // --- sessions -----------------------------------------------------------------------

  /** Starts a session for the user; returns its token (only its hash is stored). */
  createSession(userId: number): string {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    this.#run('INSERT INTO sessions (token_hash, user_id, created, last_seen) VALUES (?, ?, ?, ?)', [hashToken(token), userId, now, now]);
    return token;
  }

  /** The user of a live session, noting that it was used now; undefined for an unknown or expired token (which is then deleted). */
  userForToken(token: string, limits: SessionLimits, now = Date.now()): User | undefined {
    const tokenHash = hashToken(token);
    const row = this.#one<User & { created: number; last_seen: number }>(
      'SELECT users.id, users.name, sessions.created, sessions.last_seen FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.token_hash = ?',
      [tokenHash],
    );
    if (!row) return undefined;
    if (now - row.last_seen > limits.idleMs || now - row.created > limits.maxMs) {
      this.#run('DELETE FROM sessions WHERE token_hash = ?', [tokenHash]);
      return undefined;
    }
    // Written with the next commit: when the session was last used matters, not that it is on disk.
    this.#run('UPDATE sessions SET last_seen = ? WHERE token_hash = ?', [now, tokenHash]);
    return { id: row.id, name: row.name };
  }

  deleteSession(token: string): void {
    this.#run('DELETE FROM sessions WHERE token_hash = ?', [hashToken(token)]);
  }

  deleteSessionsOf(userId: number): void {
    this.#run('DELETE FROM sessions WHERE user_id = ?', [userId]);
  }

  // --- friends ------------------------------------------------------------------------

  areFriends(userId: number, otherId: number): boolean {
    return this.#one('SELECT 1 AS yes FROM relations WHERE user_id = ? AND friend_id = ?', [userId, otherId]) !== undefined;
  }

  /** Makes two users friends, both ways round (each sees the other), and clears their requests. */
  addFriendship(userId: number, otherId: number): void {
    this.#run('INSERT OR IGNORE INTO relations (user_id, friend_id) VALUES (?, ?), (?, ?)', [userId, otherId, otherId, userId]);
    this.#run('DELETE FROM friend_requests WHERE (from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)', [userId, otherId, otherId, userId]);
  }

  friendsOf(userId: number): User[] {
    return this.#all<User>(
      'SELECT users.id, users.name FROM relations JOIN users ON users.id = relations.friend_id WHERE relations.user_id = ? ORDER BY users.name',
      [userId],
    );
  }

  /** Records that `fromId` asks `toId` to be friends. */
  addRequest(fromId: number, toId: number): void {
    this.#run('INSERT OR IGNORE INTO friend_requests (from_id, to_id, created) VALUES (?, ?, ?)', [fromId, toId, Date.now()]);
  }

  hasRequest(fromId: number, toId: number): boolean {
    return this.#one('SELECT 1 AS yes FROM friend_requests WHERE from_id = ? AND to_id = ?', [fromId, toId]) !== undefined;
  }

  deleteRequest(fromId: number, toId: number): void {
    this.#run('DELETE FROM friend_requests WHERE from_id = ? AND to_id = ?', [fromId, toId]);
  }

  /** Users who asked `userId` to be friends, oldest request first. */
  requestsTo(userId: number): User[] {
    return this.#all<User>('SELECT users.id, users.name FROM friend_requests JOIN users ON users.id = from_id WHERE to_id = ? ORDER BY friend_requests.created, from_id', [userId]);
  }

  /** Users `userId` asked to be friends, oldest request first. */
  requestsFrom(userId: number): User[] {
    return this.#all<User>('SELECT users.id, users.name FROM friend_requests JOIN users ON users.id = to_id WHERE from_id = ? ORDER BY friend_requests.created, to_id', [userId]);
  }

  // --- messages -----------------------------------------------------------------------

  addMessage(from: number, to: number, content: string): ChatMessage {
    const time = Date.now();
    this.#run('INSERT INTO messages (from_id, to_id, content, time) VALUES (?, ?, ?, ?)', [from, to, content, time]);
    const id = this.#one<{ id: number }>('SELECT last_insert_rowid() AS id')!.id;
    return { id, from, to, content, time };
  }

  /** A user's messages (sent or received) newer than `after` and already on disk, oldest first, at most `limit`. */
  messagesFor(userId: number, after: number, limit: number): ChatMessage[] {
    return this.#all<ChatMessage>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE (to_id = ? OR from_id = ?) AND id > ? AND id <= ? ORDER BY id LIMIT ?`,
      [userId, userId, after, this.#durableId, limit],
    );
  }

  /** The newest `limit` messages between two users with an id below `before`, already on disk, oldest first. */
  conversation(userId: number, friendId: number, before: number, limit: number): ChatMessage[] {
    const newestFirst = this.#all<ChatMessage>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)) AND id < ? AND id <= ?
        ORDER BY id DESC LIMIT ?`,
      [userId, friendId, friendId, userId, before, this.#durableId, limit],
    );
    return newestFirst.reverse();
  }
}
