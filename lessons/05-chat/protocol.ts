/**
 * Lesson 05's contract: the chat's HTTP API. Nothing to change here.
 *
 * Every route but `/register`, `/login` and `/stats` needs `Authorization: Bearer <token>`
 * (the token from `/login`); without a valid one, or with an expired one, the answer is `401`.
 * Errors are `{ "error": "..." }` with a 4xx status (or `503` when the disk refused a write:
 * nothing of that request was kept). Every answer carries `Cache-Control: no-store`.
 *
 * | Route | Body / query | Answer |
 * |---|---|---|
 * | `POST /register` | `{ name, password }` | `201 { user }`; `400` bad name or password; `409` the name, or one that looks the same, is taken; `429` too many attempts |
 * | `POST /login` | `{ name, password }` | `200 { token, user }`; `401` wrong name or password (the same answer, in the same time); `429` too many attempts |
 * | `POST /logout` | — | `204`; the token no longer works |
 * | `POST /logout/all` | — | `204`; none of the user's tokens works any more |
 * | `GET /me` | — | `200 { user }` |
 * | `GET /friends` | — | `200 { friends: Friend[], incoming: User[], outgoing: User[] }`: friends, and friend requests to and from you |
 * | `POST /friends` | `{ name }` | `202 { request: User }` a request is sent; `201 { friend }` when they had asked you (you accept); `404` no such user; `409` already friends or already asked; `400` yourself |
 * | `POST /friends/:id/accept` | — | `201 { friend }`; `404` no request from that user |
 * | `POST /friends/:id/decline` | — | `204`; `404` no request from that user |
 * | `POST /messages` | `{ to, content }` | `201` and the stored {@link ChatMessage}, once it is on disk; `403` not a friend; `404` no such user |
 * | `GET /poll?after=N` | — | a {@link PollAnswer}: your messages (sent or received) with id > N at once, else held |
 * | `GET /history?with=ID&before=ID&limit=N` | — | `200 { messages }`: the newest `limit` (default 50, at most 200) messages between you and friend ID with id < before, oldest first |
 * | `GET /stats` | — | `200 { waiting }`: how many polls are held |
 *
 * A `429` carries a `Retry-After` header: the seconds to wait before trying again.
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
   * News about people since this tab's last poll: friends who came online, went offline or
   * were just added (each with their state now), and users who asked to be your friend.
   * Every tab (every session) gets every piece of news; news that comes while a tab has no
   * poll open is kept for its next poll.
   */
  | { status: 'presence'; presence: Friend[]; requests: User[] }
  /** Nothing happened for `holdMs`: ask again. */
  | { status: 'timeout' }
  /** A newer poll of the same tab (or of too many tabs of the same user) took this one's place: do not ask again from here. */
  | { status: 'replaced' }
  /** The server is shutting down, or you logged out: do not ask again. */
  | { status: 'cancelled' };

export interface ErrorBody {
  error: string;
}

/** Names are counted in characters (code points), after NFKC normalisation. */
export const MAX_NAME_LENGTH = 32;
/** Passwords are counted in characters (code points). */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 200;
export const MAX_CONTENT_LENGTH = 2000;
/** The most messages one poll answer or history page carries. */
export const MAX_BATCH = 200;
