/**
 * The chat's data in SQLite (sql.js: SQLite compiled to WebAssembly, the whole database in
 * memory, kept on disk by database.ts: a journal of every change, and snapshots). Three
 * tables, as in the old ASP.NET chat this lesson comes from — users, the relations between
 * them, and the messages — and two more: login sessions, and friend requests not answered yet.
 *
 * Your task: TODOs 3 to 9 — the queries. The schema, opening the file, committing and
 * undoing a failed write are given.
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
    // TODO 3: a new user — unless someone has the same `key` already (names.ts: two names
    //   with the same key look the same on screen, so they are the same name). Every value
    //   goes in as a ? parameter, never into the SQL text.
    void name;
    void key;
    void passwordHash;
    return undefined;
  }

  /** The user whose name looks like this one (see names.ts). */
  userByKey(key: string): User | undefined {
    // TODO 3
    void key;
    return undefined;
  }

  userById(id: number): User | undefined {
    // TODO 3
    void id;
    return undefined;
  }

  passwordHashOf(userId: number): string | undefined {
    // TODO 3
    void userId;
    return undefined;
  }

  countUsers(): number {
    return this.#one<{ n: number }>('SELECT count(*) AS n FROM users')?.n ?? 0;
  }

  // --- sessions -----------------------------------------------------------------------

  /** Starts a session for the user; returns its token (only its hash is stored). */
  createSession(userId: number): string {
    // TODO 4: a token nobody can guess (32 random bytes), handed out once; the database keeps
    //   only its hash (hashToken), so a copy of the file lets nobody log in.
    void userId;
    void randomBytes;
    return '';
  }

  /** The user of a live session, noting that it was used now; undefined for an unknown or expired token (which is then deleted). */
  userForToken(token: string, limits: SessionLimits, now = Date.now()): User | undefined {
    // TODO 4: the user of this token's session — if the session is still alive: not idle
    //   for longer than limits.idleMs, not older than limits.maxMs. A dead session is
    //   deleted and counts as none. A live one notes that it was used now (last_seen).
    void token;
    void limits;
    void now;
    void hashToken;
    return undefined;
  }

  deleteSession(token: string): void {
    // TODO 4
    void token;
  }

  deleteSessionsOf(userId: number): void {
    // TODO 4: every session of the user (log out everywhere).
    void userId;
  }

  // --- friends ------------------------------------------------------------------------

  areFriends(userId: number, otherId: number): boolean {
    // TODO 5
    void userId;
    void otherId;
    return false;
  }

  /** Makes two users friends, both ways round (each sees the other), and clears their requests. */
  addFriendship(userId: number, otherId: number): void {
    // TODO 5: each must see the other, and the requests between them are answered now.
    void userId;
    void otherId;
  }

  friendsOf(userId: number): User[] {
    // TODO 5: in the order of their names.
    void userId;
    return [];
  }

  /** Records that `fromId` asks `toId` to be friends. */
  addRequest(fromId: number, toId: number): void {
    // TODO 6: friend requests, in friend_requests. Asking twice is still one request.
    void fromId;
    void toId;
  }

  hasRequest(fromId: number, toId: number): boolean {
    // TODO 6
    void fromId;
    void toId;
    return false;
  }

  deleteRequest(fromId: number, toId: number): void {
    // TODO 6
    void fromId;
    void toId;
  }

  /** Users who asked `userId` to be friends, oldest request first. */
  requestsTo(userId: number): User[] {
    // TODO 6
    void userId;
    return [];
  }

  /** Users `userId` asked to be friends, oldest request first. */
  requestsFrom(userId: number): User[] {
    // TODO 6
    void userId;
    return [];
  }

  // --- messages -----------------------------------------------------------------------

  addMessage(from: number, to: number, content: string): ChatMessage {
    // TODO 7: store the message; its id is the one SQLite gives it.
    return { id: 0, from, to, content, time: 0 };
  }

  /** A user's messages (sent or received) newer than `after` and already on disk, oldest first, at most `limit`. */
  messagesFor(userId: number, after: number, limit: number): ChatMessage[] {
    // TODO 8: what a poll with `after` delivers — the user's messages, sent or received,
    //   newer than `after`, in id order, at most `limit`. And nothing that is not on disk
    //   yet (id above this.#durableId): a reader must never see a message that a crash could
    //   still take back. Select MESSAGE_COLUMNS, so the rows are ChatMessages.
    void userId;
    void after;
    void limit;
    void MESSAGE_COLUMNS;
    return [];
  }

  /** The newest `limit` messages between two users with an id below `before`, already on disk, oldest first. */
  conversation(userId: number, friendId: number, before: number, limit: number): ChatMessage[] {
    // TODO 9: one page of a conversation — the newest `limit` messages between the two with
    //   an id below `before` (and on disk, as in TODO 8), handed back oldest first.
    void userId;
    void friendId;
    void before;
    void limit;
    void this.#all;
    void this.#one;
    void this.#run;
    return [];
  }
}
