/**
 * Lesson 08 — the wire format of an event stream (`text/event-stream`).
 *
 * An event is a few lines `name: value`, ended by a blank line:
 *
 *     id: 42
 *     event: gap
 *     data: {"from":1,"to":41}
 *
 * The client reads `id`, `event`, `retry` and `data` and ignores any line that starts with
 * a colon (a comment). Every line ending — `\r\n`, `\r` or `\n` — ends a line, so a value
 * may never contain one: a line break in the data would start a new field.
 *
 * Your task: TODOs 1 to 3. `npm run verify -- 8` grades your work.
 *
 * @module
 */
import type { GapData, Message } from './protocol.ts';

/** The fields of one event. */
export interface EventFields {
  /** The event's id: the client sends it back as `Last-Event-ID` when it reconnects. */
  id?: number | string;
  /** The event's name; without one the browser fires `message` (`onmessage`). */
  event?: string;
  /** The data; each of its lines becomes a `data:` line. */
  data: string;
  /** The reconnect delay the client should use from now on, in milliseconds. */
  retry?: number;
}

/** One event as text: `id:`, `event:`, `retry:`, then one `data:` line per line of data, and a blank line. */
export function formatEvent(fields: EventFields): string {
  let text = '';
  // TODO 1: the fields the event has, in this order, one line each written `name: value\n`
  //   (one space after the colon): `id:`, `event:`, `retry:`. The id may be a number or a
  //   string; pass it and the event name through oneLine() below, which refuses a value that
  //   would break its line; an id of 0 or '' is an id too (write `id: 0`). retry must be a
  //   whole number of milliseconds, 0 or more, written in digits (Number.isSafeInteger: 1e21
  //   would print as "1e+21"): throw a RangeError for anything else (-1, 1.5, NaN, 1e21).
  // TODO 2: then the data, one `data: …` line for each of its lines. The client ends a line
  //   at \r\n, at a lone \r and at \n, so split on all three, \r\n first so that it counts as
  //   one ending: /\r\n|\r|\n/. Empty data is one empty `data: ` line. A blank line (one more
  //   \n) ends the event.
  void fields;
  return text;
}

/** An id or an event name must stay on its line: a line ending in it would forge fields. */
function oneLine(field: string, value: string): string {
  // TODO 1 (continued): a value holding \r, \n or NUL (\0) throws a RangeError that names
  //   the field; any other value is returned as it is.
  void field;
  return value;
}

/**
 * A message as an event: its id, and the message as JSON for data. No event name, so the
 * browser calls `onmessage`. JSON keeps the text intact whatever it holds: a line ending in
 * the text is written `\n` inside a JSON string, never as a real line break.
 */
export function messageEvent(message: Message): string {
  // TODO 3: the event of a message: its id, no event name, and the whole message as JSON for
  //   data — whatever the text holds, its JSON has no real line break in it.
  void message;
  return '';
}

/** A `gap` event: its id is `to`, so a client that reconnects after it is not told again. */
export function gapEvent(gap: GapData): string {
  // TODO 3 (continued): an event named `gap`, the gap as JSON for data, and for id the last
  //   lost id (`to`): the client sends it back when it reconnects.
  void gap;
  return '';
}

/** A comment: the client ignores it, but every proxy on the way sees bytes go by. */
export const PING = ': ping\n\n';
