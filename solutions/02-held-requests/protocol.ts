/**
 * Lesson 02's contract: what travels between the client and the server.
 * Nothing to change here; read it once before you start.
 *
 * | Route            | Body               | Answer                                                   |
 * |------------------|--------------------|----------------------------------------------------------|
 * | `GET /poll`      | —                  | held until the next message is posted, then `200` and `{ "message": {...} }` |
 * | `POST /messages` | `{ "text": "hi" }` | `201` and the stored {@link Message}; every held poll is answered with it |
 * | `GET /stats`     | —                  | `200` and `{ "waiting": 2 }`: how many polls are held now |
 *
 * Bad input gets `400` and `{ "error": "..." }` and answers no poll; an unknown route gets
 * `404` and `{ "error": "..." }`.
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

/** The answer to a held `GET /poll`. */
export interface PollAnswer {
  message: Message;
}

/** The answer to `GET /stats`. */
export interface Stats {
  /** How many polls the server is holding right now. */
  waiting: number;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
}

/** The longest text the server accepts, in characters. */
export const MAX_TEXT_LENGTH = 500;
