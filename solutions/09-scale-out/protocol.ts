/**
 * Lesson 09's contract: what travels between a client and any of the server processes. It is
 * lesson 04's, word for word, so lesson 04's client works against every process; `/stats`
 * also names the process and its broker. Nothing to change here; read it once before you start.
 *
 * | Route                  | Body               | Answer                                                   |
 * |------------------------|--------------------|----------------------------------------------------------|
 * | `GET /poll?after=N`    | —                  | `200` and a {@link PollAnswer}: at once if anything newer than id N is kept, else held |
 * | `POST /messages`       | `{ "text": "hi" }` | `201` and the stored {@link Message} once it is in Redis; `503` when Redis cannot be reached |
 * | `GET /stats`           | —                  | `200` and `{ "waiting": 2, "process": "A", "broker": "redis" }` |
 *
 * `after` is required: a whole number, 0 or more (0 = "I have nothing yet"). Anything else
 * gets `400`. Every answer carries `Cache-Control: no-store`.
 *
 * @module
 */

/** A message as Redis stores it and every process sends it. */
export interface Message {
  /** 1 for the first message, then 2, 3, … with no holes, whichever process took it: larger means newer. */
  id: number;
  text: string;
  /** When the process that took it stored it, in milliseconds since 1970 (Date.now()). */
  time: number;
}

/** How a poll ends: lesson 04's answers. */
export type PollAnswer =
  /** Every kept message newer than `after`, oldest first, in one batch. */
  | { status: 'messages'; messages: Message[] }
  /**
   * The client is further behind than the kept history: messages `from`…`to` are gone for
   * good. Poll again with `after=to` to get everything still kept.
   */
  | { status: 'gap'; from: number; to: number }
  /** Nothing new for `holdMs`: ask again. */
  | { status: 'timeout' }
  /** The process is shutting down: ask another one. */
  | { status: 'cancelled' };

/** The answer to `GET /stats`. */
export interface Stats {
  /** How many polls this process holds now. */
  waiting: number;
  /** This process's name (`--name`, `A` by default). */
  process: string;
  /** What carries the messages between the processes: a real Redis, or the in-process stand-in. */
  broker: 'redis' | 'stand-in';
}

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
}

/** The longest text the server accepts, in characters. */
export const MAX_TEXT_LENGTH = 500;

/** How long a poll is held by default: under common proxy idle limits (30 s). */
export const DEFAULT_HOLD_MS = 25_000;

/** How many of the newest messages Redis and every process keep by default. */
export const DEFAULT_HISTORY_LIMIT = 1000;

/** The first part of every Redis key the lesson uses: `comet:seq` and `comet:messages`. */
export const DEFAULT_PREFIX = 'comet';

/** How long one XREAD waits in Redis for a new entry before it is asked again. */
export const DEFAULT_BLOCK_MS = 5000;

/** The pause after the first failure in a row to reach Redis; it doubles with each further one… */
export const DEFAULT_RETRY_MS = 100;

/** …up to this. */
export const DEFAULT_MAX_RETRY_MS = 2000;
