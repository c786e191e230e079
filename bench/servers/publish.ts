/**
 * For the peers (Socket.IO, Faye) and the bare reference: the same `POST /messages` as the
 * lesson's, making the same message, `{ id, text, time }`, which each then broadcasts its
 * own way.
 *
 * @module
 */
import type http from 'node:http';

export interface Message {
  id: number;
  text: string;
  time: number;
}

let lastId = 0;

/** Reads the JSON body `{ text }` of a POST and makes the next message of it. */
export async function readMessage(req: http.IncomingMessage): Promise<Message> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const { text } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string };
  return { id: ++lastId, text, time: Date.now() };
}

/** Answers 201 with the message, as the lesson's server does. */
export function created(res: http.ServerResponse, message: Message): void {
  const body = JSON.stringify(message);
  res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers everything that is not one of the server's routes. */
export function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":"no such route"}');
}
