/**
 * A lean Server-Sent Events client for load: one raw socket per stream, thousands of streams
 * in one process. It sends `GET <path>` with `Accept: text/event-stream`, reads the answer's
 * head (200 and `text/event-stream`, or it fails), undoes the chunked transfer coding when
 * the server uses it (node:http does, for a response with no Content-Length), and parses the
 * event stream as the HTML standard says: `field: value` lines, comments (`:`) ignored, an
 * event dispatched at a blank line when it has data. Lines may end in LF or CRLF (a lone CR,
 * which the standard also allows, is not handled: the servers measured never send one).
 *
 * The npm `eventsource` package does all this and more, and its CPU per event would be most
 * of what a bench on two cores measures; this does only what the bench needs: every event
 * handed over with the time its bytes were read, and the bytes the socket read and wrote.
 *
 * @module
 */
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { requestBytes } from './lean-http.ts';

export interface StreamEvent {
  /** The `id:` field of this event, if it had one. */
  id: string | undefined;
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
}

export interface LeanStream {
  /** Bytes read and written on the stream's socket so far, HTTP head included. */
  bytes(): number;
  /** Events dispatched so far. */
  readonly events: number;
  close(): void;
}

export interface StreamHandlers {
  /** Each event, with `performance.now()` when the bytes that completed it were read. */
  onEvent(event: StreamEvent, at: number): void;
  /** The stream ended or failed after it was open (not called after `close()`). */
  onEnd(error: Error): void;
}

/** Opens `path` at `url` as an event stream; resolves once the answer's head says 200 `text/event-stream`. */
export function openEventStream(url: string, path: string, handlers: StreamHandlers): Promise<LeanStream> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    socket.setNoDelay(true);
    socket.write(requestBytes('GET', path, { Accept: 'text/event-stream' }));
    let open = false;
    let closing = false;
    let head: Buffer = Buffer.alloc(0);
    const body = chunkedBody();
    const lines = eventLines();
    let events = 0;
    const stream: LeanStream = {
      bytes: () => socket.bytesRead + socket.bytesWritten,
      get events() {
        return events;
      },
      close() {
        closing = true;
        socket.destroy();
      },
    };
    const fail = (error: Error) => {
      if (closing) return;
      closing = true;
      socket.destroy();
      if (open) handlers.onEnd(error);
      else reject(error);
    };
    const read = (bytes: Buffer, at: number) => {
      for (const event of lines(body.decode(bytes))) {
        events++;
        handlers.onEvent(event, at);
      }
      if (body.ended()) fail(new Error(`the server ended the stream ${path}`));
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        received(chunk, performance.now());
      } catch (error) {
        fail(error as Error);
      }
    });
    const received = (chunk: Buffer, at: number) => {
      if (open) return read(chunk, at);
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = head.toString('latin1', 0, end);
      const status = Number(text.slice(9, 12));
      if (status !== 200 || !/\r\ncontent-type: *text\/event-stream/i.test(text)) return fail(new Error(`GET ${path} was answered ${text.split('\r\n')[0]}: ${head.toString('utf8', end + 4, end + 304)}`));
      body.chunked = /\r\ntransfer-encoding: *chunked/i.test(text);
      open = true;
      resolve(stream);
      read(head.subarray(end + 4), at);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`the server closed the connection of ${path}`)));
  });
}

/** The body's bytes as text: through the chunked transfer coding when `chunked`, else as they come. */
function chunkedBody() {
  const decoder = new StringDecoder('utf8');
  let pending: Buffer = Buffer.alloc(0);
  /** Bytes of the current chunk's data still to come; -1 while a size line is expected. */
  let left = -1;
  let last = false;
  return {
    chunked: false,
    ended: () => last,
    decode(bytes: Buffer): string {
      if (!this.chunked) return decoder.write(bytes);
      pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
      let text = '';
      let at = 0;
      while (at < pending.length && !last) {
        if (left < 0) {
          const lineEnd = pending.indexOf('\r\n', at);
          if (lineEnd < 0) break;
          left = parseInt(pending.toString('latin1', at, lineEnd), 16);
          if (Number.isNaN(left)) throw new Error(`bad chunk size line: ${pending.toString('latin1', at, lineEnd)}`);
          if (left === 0) last = true;
          at = lineEnd + 2;
        } else if (left > 0) {
          const take = Math.min(left, pending.length - at);
          text += decoder.write(pending.subarray(at, at + take));
          left -= take;
          at += take;
        } else {
          // the CRLF after a chunk's data
          if (pending.length - at < 2) break;
          at += 2;
          left = -1;
        }
      }
      pending = pending.subarray(at);
      return text;
    },
  };
}

/** The event stream's text, fed as it comes, into whole events. */
function eventLines() {
  let partial = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  return (text: string): StreamEvent[] => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    const events: StreamEvent[] = [];
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        if (data.length > 0) events.push({ id, event: event || 'message', data: data.join('\n') });
        id = undefined;
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
      if (name === 'data') data.push(value);
      else if (name === 'id') id = value;
      else if (name === 'event') event = value;
    }
    return events;
  };
}
