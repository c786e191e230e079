/**
 * Lesson 01's contract: what travels between the client and the server.
 * Nothing to change here; read it once before you start.
 *
 * | Route            | Body               | Answer                                        |
 * |------------------|--------------------|-----------------------------------------------|
 * | `POST /messages` | `{ "text": "hi" }` | `201` and the stored {@link Message}          |
 * | `GET /messages`  | —                  | `200` and `{ "messages": [...] }`, oldest first |
 *
 * Bad input (no JSON, no `text`, not a string, empty, too long) gets `400` and
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

/** The answer to `GET /messages`. */
export interface MessageList {
  messages: Message[];
}

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
}

/** The longest text the server accepts, in characters. */
export const MAX_TEXT_LENGTH = 500;
