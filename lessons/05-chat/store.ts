/**
 * The chat's data in SQLite (sql.js: SQLite compiled to WebAssembly, the whole database in
 * memory, written to a file by DurableFile). Three tables, as in the old ASP.NET chat this
 * lesson comes from — users, the relations between them, and the messages — and one for
 * login sessions.
 *
 * Every query takes its values as bound parameters (`?`), never pasted into the SQL text:
 * a name like `x'); DROP TABLE users; --` is then just a name.
 *
 * Your task: TODOs 3 to 8 — the queries. The schema, opening and committing are given.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import initSqlJs, { type Database, type SqlValue } from 'sql.js';
import { DurableFile } from './durable-file.ts';
import type { ChatMessage, User } from './protocol.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created       INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS relations (
    user_id   INTEGER NOT NULL REFERENCES users (id),
    friend_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (user_id, friend_id)
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
    created    INTEGER NOT NULL
  );
`;

const MESSAGE_COLUMNS = 'id, from_id AS "from", to_id AS "to", content, time';

/** Tokens are stored hashed: a copy of the database does not let anyone log in. */
const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

export class ChatStore {
  readonly #db: Database;
  readonly #file: DurableFile | undefined;

  private constructor(db: Database, file: DurableFile | undefined) {
    this.#db = db;
    this.#file = file;
  }

  /** Opens the database in `file` (created if missing), or in memory only when no file is given. */
  static async open(file?: string, commitDelayMs = 0): Promise<ChatStore> {
    const SQL = await initSqlJs();
    const db = file && existsSync(file) ? new SQL.Database(readFileSync(file)) : new SQL.Database();
    db.run(SCHEMA);
    if (file) mkdirSync(path.dirname(file), { recursive: true });
    return new ChatStore(db, file ? new DurableFile(file, () => db.export(), commitDelayMs) : undefined);
  }

  /** Resolves once every change made so far is safely in the file. */
  commit(): Promise<void> {
    return this.#file ? this.#file.commit() : Promise.resolve();
  }

  #all<T>(sql: string, params: SqlValue[] = []): T[] {
    const statement = this.#db.prepare(sql);
    try {
      statement.bind(params);
      const rows: T[] = [];
      while (statement.step()) rows.push(statement.getAsObject() as T);
      return rows;
    } finally {
      statement.free();
    }
  }

  #one<T>(sql: string, params: SqlValue[] = []): T | undefined {
    return this.#all<T>(sql, params)[0];
  }

  #run(sql: string, params: SqlValue[] = []): void {
    this.#db.run(sql, params);
  }

  // --- users --------------------------------------------------------------------------

  /** Creates a user; undefined when the name is taken. */
  createUser(name: string, passwordHash: string): User | undefined {
    // TODO 3: if the name is free, insert the user (name, password_hash, created = Date.now())
    //   and return it; undefined when the name is taken. Values as ? parameters, always.
    void name;
    void passwordHash;
    return undefined;
  }

  userByName(name: string): User | undefined {
    // TODO 3: SELECT id, name FROM users WHERE name = ?
    void name;
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
    // Given: used by the demo accounts.
    return this.#one<{ n: number }>('SELECT count(*) AS n FROM users')?.n ?? 0;
  }

  // --- sessions -----------------------------------------------------------------------

  /** Starts a session for the user; returns its token (only its hash is stored). */
  createSession(userId: number): string {
    // TODO 4: a random token (randomBytes(32), base64url); store only hashToken(token).
    void userId;
    void randomBytes;
    return '';
  }

  userForToken(token: string): User | undefined {
    // TODO 4: the user of the session whose token_hash is hashToken(token).
    void token;
    void hashToken;
    return undefined;
  }

  deleteSession(token: string): void {
    // TODO 4
    void token;
  }

  // --- friends ------------------------------------------------------------------------

  areFriends(userId: number, otherId: number): boolean {
    // TODO 5
    void userId;
    void otherId;
    return false;
  }

  /** Makes two users friends, both ways round (each sees the other). */
  addFriendship(userId: number, otherId: number): void {
    // TODO 5: two rows in relations, one each way.
    void userId;
    void otherId;
  }

  friendsOf(userId: number): User[] {
    // TODO 5: the users this user is friends with, by name.
    void userId;
    return [];
  }

  // --- messages -----------------------------------------------------------------------

  addMessage(from: number, to: number, content: string): ChatMessage {
    // TODO 6: insert the message (time = Date.now()) and return it with its new id
    //   (SELECT last_insert_rowid()).
    void this.#run;
    return { id: 0, from, to, content, time: 0 };
  }

  /** A user's messages (sent or received) newer than `after`, oldest first, at most `limit`. */
  messagesFor(userId: number, after: number, limit: number): ChatMessage[] {
    // TODO 7: messages to or from the user with id > after, by id, at most `limit`.
    //   Select MESSAGE_COLUMNS so the rows have the fields of a ChatMessage.
    void userId;
    void after;
    void limit;
    void MESSAGE_COLUMNS;
    return [];
  }

  /** The newest `limit` messages between two users with an id below `before`, oldest first. */
  conversation(userId: number, friendId: number, before: number, limit: number): ChatMessage[] {
    // TODO 8: the newest `limit` messages between the two with id < before, returned oldest first.
    void userId;
    void friendId;
    void before;
    void limit;
    void this.#all;
    void this.#one;
    return [];
  }
}
