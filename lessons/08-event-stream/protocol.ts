/**
 * Lesson 08's contract: what travels between the browser and the server.
 * Nothing to change here; read it once before you start.
 *
 * | Route             | Body               | Answer                                                        |
 * |-------------------|--------------------|---------------------------------------------------------------|
 * | `GET /events`     | —                  | `200 text/event-stream`: one response that stays open and carries every message as an event |
 * | `POST /messages`  | `{ "text": "hi" }` | `201` and the stored {@link Message}                           |
 * | `GET /stats`      | —                  | `200` and `{ "streams": 2 }`                                   |
 *
 * Where a stream starts: the `Last-Event-ID` header when there is one, else the `lastEventId`
 * query parameter, else 0 ("I have nothing"). Either must be a whole number, 0 or more, of 1
 * to 15 digits; anything else gets `400`. Every JSON answer carries `Cache-Control: no-store`.
 *
 * On the stream, each message is an event whose `id:` is the message's id and whose `data:`
 * is the message as JSON; a client further behind than the kept history first gets an event
 * named `gap` whose data is a {@link GapData}.
 *
 * @module
 */

/** A message as the server stores it, and as the data of its event (JSON). */
export interface Message {
  /** 1 for the first message, then 2, 3, … with no holes: larger means newer. */
  id: number;
  text: string;
  /** When the server stored it, in milliseconds since 1970 (Date.now()). */
  time: number;
}

/**
 * The data of a `gap` event: messages `from`…`to` are gone for good (the server no longer
 * keeps them). The event's id is `to`, so a reconnect after it starts from there.
 */
export interface GapData {
  from: number;
  to: number;
}

/** The answer to `GET /stats`. */
export interface Stats {
  /** How many event streams are open now. */
  streams: number;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
}

/** The longest text the server accepts, in characters. */
export const MAX_TEXT_LENGTH = 500;

/** How many of the newest messages the server keeps by default. */
export const DEFAULT_HISTORY_LIMIT = 1000;

/** The reconnect delay the server asks of its clients (`retry:`) by default, in milliseconds. */
export const DEFAULT_RETRY_MS = 1000;

/** How often a comment goes down every stream by default, so that proxies see it alive: 15 s. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** How long a stream stays open by default before the server ends it politely: 5 minutes. */
export const DEFAULT_MAX_STREAM_MS = 300_000;

/** How many bytes may wait in one stream's buffer before its reader counts as too slow: 256 KB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024;

/** How many streams the server keeps open at once by default. */
export const DEFAULT_MAX_STREAMS = 10_000;

/** How long a stream the server ended may take to reach a client before it is cut off, by default. */
export const DEFAULT_END_GRACE_MS = 10_000;
