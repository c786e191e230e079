/**
 * Lesson 05's contract: the chat's HTTP API. Nothing to change here.
 *
 * Every route but `/register`, `/login` and `/stats` needs `Authorization: Bearer <token>`
 * (the token from `/login`); without a valid one the answer is `401`. Errors are
 * `{ "error": "..." }` with a 4xx status. Every answer carries `Cache-Control: no-store`.
 *
 * | Route | Body / query | Answer |
 * |---|---|---|
 * | `POST /register` | `{ name, password }` | `201 { user }`; `400` bad fields; `409` name taken |
 * | `POST /login` | `{ name, password }` | `200 { token, user }`; `401` wrong name or password |
 * | `POST /logout` | — | `204`; the token no longer works |
 * | `GET /me` | — | `200 { user }` |
 * | `GET /friends` | — | `200 { friends: Friend[] }` |
 * | `POST /friends` | `{ name }` | `201 { friend }`; `404` no such user; `409` already friends; `400` yourself |
 * | `POST /messages` | `{ to, content }` | `201` and the stored {@link ChatMessage}, once it is on disk; `403` not a friend; `404` no such user |
 * | `GET /poll?after=N` | — | a {@link PollAnswer}: your messages (sent or received) with id > N at once, else held |
 * | `GET /history?with=ID&before=ID&limit=N` | — | `200 { messages }`: the newest `limit` (default 50, at most 200) messages between you and friend ID with id < before, oldest first |
 * | `GET /stats` | — | `200 { waiting }`: how many polls are held |
 *
 * @module
 */

export interface User {
  id: number;
  name: string;
}

/** A friend, as the friend list shows it. */
export interface Friend extends User {
  /** Has a poll open, or had one within the last few seconds. */
  online: boolean;
}

export interface ChatMessage {
  /** Grows with every message in the chat (not per conversation). */
  id: number;
  /** The sender's user id. */
  from: number;
  /** The recipient's user id. */
  to: number;
  content: string;
  /** When the server stored it, in milliseconds since 1970. */
  time: number;
}

export type PollAnswer =
  /** Messages you sent or received with an id greater than `after`, oldest first. */
  | { status: 'messages'; messages: ChatMessage[] }
  /**
   * Friends who came online, went offline, or were just added (each with their state now).
   * News that comes while you have no poll open is kept for your next poll.
   */
  | { status: 'presence'; presence: Friend[] }
  /** Nothing happened for `holdMs`: ask again. */
  | { status: 'timeout' }
  /** The server is shutting down, or you logged out: do not ask again. */
  | { status: 'cancelled' };

export interface ErrorBody {
  error: string;
}

export const MAX_NAME_LENGTH = 32;
export const MIN_PASSWORD_LENGTH = 5;
export const MAX_PASSWORD_LENGTH = 200;
export const MAX_CONTENT_LENGTH = 2000;
/** The most messages one poll answer or history page carries. */
export const MAX_BATCH = 200;
