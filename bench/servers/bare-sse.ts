/**
 * The limit of this machine for Server-Sent Events (measure 8): plain node:http, no history,
 * no heartbeat, no limits. `GET /events` opens a stream with the same headers as lesson 08's;
 * `POST /messages` makes the message (publish.ts), formats its event once and makes one
 * `write` of the same bytes to every open stream; `GET /stats` answers `{ streams }`.
 *
 *     npx tsx bench/servers/bare-sse.ts [--port N]
 *
 * Prints `listening http://127.0.0.1:<port>`, as the lessons' main.ts do.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { created, notFound, readMessage } from './publish.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const streams = new Set<http.ServerResponse>();

const server = http.createServer(async (req, res) => {
  if (req.method === 'GET' && (req.url === '/events' || req.url?.startsWith('/events?'))) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.flushHeaders();
    streams.add(res);
    res.on('close', () => streams.delete(res));
  } else if (req.method === 'POST' && req.url === '/messages') {
    const message = await readMessage(req);
    const bytes = Buffer.from(`id: ${message.id}\ndata: ${JSON.stringify(message)}\n\n`);
    for (const stream of streams) stream.write(bytes);
    created(res, message);
  } else if (req.method === 'GET' && req.url === '/stats') {
    const body = JSON.stringify({ streams: streams.size });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } else notFound(res);
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`));
