/**
 * HTTP below fetch: a bare TCP connection to the learner's server, for what a client library
 * hides or will not do — a request that never finishes, connections held open without a
 * request, the exact bytes of an answer.
 *
 * @module
 */
import http from 'node:http';
import net from 'node:net';
import { within } from './wait.ts';
import type { TestContext } from './types.ts';

export interface RawSocket {
  readonly socket: net.Socket;
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>;
  /** Everything the server sent so far, as text. */
  received(): string;
}

/** Opens a connection to `url`'s host and port; it is destroyed when the test ends (with a `ctx`). */
export async function rawSocket(ctx: Pick<TestContext, 'defer'> | undefined, url: string): Promise<RawSocket> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  ctx?.defer(() => socket.destroy());
  let text = '';
  socket.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  socket.on('error', () => undefined); // a reset is one way of closing; `closed` reports it
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed, received: () => text };
}

/**
 * Sends `request` as it is on a new connection and resolves with everything the server sent
 * once it closes the connection; undefined when it is still open after `withinMs`.
 */
export async function rawExchange(ctx: Pick<TestContext, 'defer'> | undefined, url: string, request: string, withinMs = 5000): Promise<string | undefined> {
  const raw = await rawSocket(ctx, url);
  raw.socket.write(request);
  const closed = await within(raw.closed.then(() => true), withinMs, false);
  raw.socket.destroy();
  return closed ? raw.received() : undefined;
}

/** A whole answer to {@link requestFrom}. */
export interface AnswerFrom {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/**
 * Sends a request from the local address `from` (another loopback address than 127.0.0.1:
 * another client, as far as the server can tell) and resolves with the whole answer.
 */
export function requestFrom(from: string, url: string, method: string, path: string, json?: unknown, headers: Record<string, string> = {}): Promise<AnswerFrom> {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const request = http.request(new URL(path, url), { method, localAddress: from, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => void (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
