/**
 * Socket.IO 4.8 with its HTTP long-polling transport only (no WebSocket upgrade), and a
 * ping interval as long as our hold time, so that neither side pays for keep-alives the
 * other does not have.
 *
 * @module
 */
import http from 'node:http';
import { Server } from 'socket.io';
import { created, notFound, readMessage } from './publish.ts';

export function createServer(): http.Server {
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/messages') return notFound(res);
    const message = await readMessage(req);
    io.emit('message', message);
    created(res, message);
  });
  const io = new Server(server, { transports: ['polling'], pingInterval: 60_000, pingTimeout: 60_000, serveClient: false });
  return server;
}
