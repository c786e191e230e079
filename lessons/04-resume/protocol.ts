/**
 * Lesson 04's contract: what travels between the client and the server.
 * Nothing to change here; read it once before you start.
 *
 * | Route                  | Body               | Answer                                                   |
 * |------------------------|--------------------|----------------------------------------------------------|
 * | `GET /poll?after=N`    | —                  | `200` and a {@link PollAnswer}: at once if anything newer than id N is kept, else held |
 * | `POST /messages`       | `{ "text": "hi" }` | `201` and the stored {@link Message}                      |
 * | `GET /stats`           | —                  | `200` and `{ "waiting": 2 }`                             |
 *
 * `after` is required: a whole number, 0 or more (0 = "I have nothing yet"). Anything else
 * gets `400`. Every answer carries `Cache-Control: no-store`.
 *
 * @module
 */

/** A message as the server stores and sends it. */
export interface Message {
  /** 1 for the first message, then 2, 3, … with no holes: larger means newer. */
  id: number;
  text: string;
  /** When the server stored it, in milliseconds since 1970 (Date.now()). */
  time: number;
}

/** How a poll ends. */
export type PollAnswer =
  /** Every kept message newer than `after`, oldest first, in one batch. */
  | { status: 'messages'; messages: Message[] }
  /**
   * The client is further behind than the server's history: messages `from`…`to` are gone
   * for good. Poll again with `after=to` to get everything still kept.
   */
  | { status: 'gap'; from: number; to: number }
  /** Nothing new for `holdMs`: ask again. */
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

/** How long the server holds a poll by default: under common proxy idle limits (30 s). */
export const DEFAULT_HOLD_MS = 25_000;

/** How many of the newest messages the server keeps by default. */
export const DEFAULT_HISTORY_LIMIT = 1000;
