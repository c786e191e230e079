/**
 * Lesson 03's contract: what travels between the client and the server.
 * Nothing to change here; read it once before you start.
 *
 * | Route            | Body               | Answer                                                     |
 * |------------------|--------------------|------------------------------------------------------------|
 * | `GET /poll`      | —                  | held; then `200` and a {@link PollAnswer}: a message, a timeout after `holdMs`, or cancelled at shutdown |
 * | `POST /messages` | `{ "text": "hi" }` | `201` and the stored {@link Message}; every held poll gets `{ "status": "message", ... }` |
 * | `GET /stats`     | —                  | `200` and `{ "waiting": 2 }`: how many polls are held now  |
 *
 * Every answer carries `Cache-Control: no-store`. Bad input gets `400` and
 * `{ "error": "..." }`; an unknown route gets `404` and `{ "error": "..." }`.
 *
 * @module
 */

/** A message as the server stores and sends it. */
export interface Message {
  /** 1 for the first message, then 2, 3, …: larger means newer. */
  id: number;
  text: string;
  /** When the server stored it, in milliseconds since 1970 (Date.now()). */
  time: number;
}

/** How a held poll ends. */
export type PollAnswer =
  /** A message was posted while the poll was held. */
  | { status: 'message'; message: Message }
  /** Nothing happened for `holdMs`: ask again. */
  | { status: 'timeout' }
  /** The server is shutting down: do not ask again. */
  | { status: 'cancelled' };

/** The answer to `GET /stats`. */
export interface Stats {
  waiting: number;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
}

/** The longest text the server accepts, in characters. */
export const MAX_TEXT_LENGTH = 500;

/**
 * How long the server holds a poll by default: under the 30 seconds after which many
 * proxies and load balancers close a connection that has sent nothing.
 */
export const DEFAULT_HOLD_MS = 25_000;
