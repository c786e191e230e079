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
  if (fields.id !== undefined) text += `id: ${oneLine('id', String(fields.id))}\n`;
  if (fields.event !== undefined) text += `event: ${oneLine('event', fields.event)}\n`;
  if (fields.retry !== undefined) {
    // A safe integer: 1e21 is an integer too, but it prints as "1e+21", which no client reads.
    if (!Number.isSafeInteger(fields.retry) || fields.retry < 0) throw new RangeError(`retry must be a whole number of milliseconds, 0 or more, not ${fields.retry}`);
    text += `retry: ${fields.retry}\n`;
  }
  // The client ends a line at \r\n, at \r and at \n: split on all three (\r\n first, so that
  // it counts as one ending), and each piece is a data line of its own. The client joins
  // them again with \n.
  for (const line of fields.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** An id or an event name must stay on its line: a line ending in it would forge fields. */
function oneLine(field: string, value: string): string {
  if (/[\r\n\0]/.test(value)) throw new RangeError(`an event's ${field} cannot hold a line ending or NUL: ${JSON.stringify(value)}`);
  return value;
}

/**
 * A message as an event: its id, and the message as JSON for data. No event name, so the
 * browser calls `onmessage`. JSON keeps the text intact whatever it holds: a line ending in
 * the text is written `\n` inside a JSON string, never as a real line break.
 */
export function messageEvent(message: Message): string {
  return formatEvent({ id: message.id, data: JSON.stringify(message) });
}

/** A `gap` event: its id is `to`, so a client that reconnects after it is not told again. */
export function gapEvent(gap: GapData): string {
  return formatEvent({ id: gap.to, event: 'gap', data: JSON.stringify(gap) });
}

/** A comment: the client ignores it, but every proxy on the way sees bytes go by. */
export const PING = ': ping\n\n';
