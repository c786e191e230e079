/**
 * The chat's data in SQLite (sql.js: SQLite compiled to WebAssembly, the whole database in
 * memory, written to a file by DurableFile). Three tables, as in the old ASP.NET chat this
 * lesson comes from — users, the relations between them, and the messages — and one for
 * login sessions.
 *
 * Every query takes its values as bound parameters (`?`), never pasted into the SQL text:
 * a name like `x'); DROP TABLE users; --` is then just a name.
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
    if (this.userByName(name)) return undefined;
    this.#run('INSERT INTO users (name, password_hash, created) VALUES (?, ?, ?)', [name, passwordHash, Date.now()]);
    return this.userByName(name);
  }

  userByName(name: string): User | undefined {
    return this.#one<User>('SELECT id, name FROM users WHERE name = ?', [name]);
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
    this.#run('INSERT INTO sessions (token_hash, user_id, created) VALUES (?, ?, ?)', [hashToken(token), userId, Date.now()]);
    return token;
  }

  userForToken(token: string): User | undefined {
    return this.#one<User>(
      'SELECT users.id, users.name FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.token_hash = ?',
      [hashToken(token)],
    );
  }

  deleteSession(token: string): void {
    this.#run('DELETE FROM sessions WHERE token_hash = ?', [hashToken(token)]);
  }

  // --- friends ------------------------------------------------------------------------

  areFriends(userId: number, otherId: number): boolean {
    return this.#one('SELECT 1 AS yes FROM relations WHERE user_id = ? AND friend_id = ?', [userId, otherId]) !== undefined;
  }

  /** Makes two users friends, both ways round (each sees the other). */
  addFriendship(userId: number, otherId: number): void {
    this.#run('INSERT OR IGNORE INTO relations (user_id, friend_id) VALUES (?, ?), (?, ?)', [userId, otherId, otherId, userId]);
  }

  friendsOf(userId: number): User[] {
    return this.#all<User>(
      'SELECT users.id, users.name FROM relations JOIN users ON users.id = relations.friend_id WHERE relations.user_id = ? ORDER BY users.name',
      [userId],
    );
  }

  // --- messages -----------------------------------------------------------------------

  addMessage(from: number, to: number, content: string): ChatMessage {
    const time = Date.now();
    this.#run('INSERT INTO messages (from_id, to_id, content, time) VALUES (?, ?, ?, ?)', [from, to, content, time]);
    const id = this.#one<{ id: number }>('SELECT last_insert_rowid() AS id')!.id;
    return { id, from, to, content, time };
  }

  /** A user's messages (sent or received) newer than `after`, oldest first, at most `limit`. */
  messagesFor(userId: number, after: number, limit: number): ChatMessage[] {
    return this.#all<ChatMessage>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE (to_id = ? OR from_id = ?) AND id > ? ORDER BY id LIMIT ?`,
      [userId, userId, after, limit],
    );
  }

  /** The newest `limit` messages between two users with an id below `before`, oldest first. */
  conversation(userId: number, friendId: number, before: number, limit: number): ChatMessage[] {
    const newestFirst = this.#all<ChatMessage>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)) AND id < ?
        ORDER BY id DESC LIMIT ?`,
      [userId, friendId, friendId, userId, before, limit],
    );
    return newestFirst.reverse();
  }
}
