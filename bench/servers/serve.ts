/**
 * A server under test, in a process of its own: `serve.ts <kind>`. It listens on
 * 127.0.0.1 (a free port) and tells the parent, over IPC, how many requests it has open
 * (held ones, once things are quiet), how many it has had, and the bytes on its sockets.
 *
 * @module
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serveParent } from '../lib/child.ts';
import { profiler } from '../lib/profiler.ts';

export type ServerKind = 'ours' | 'lesson03' | 'bare' | 'socketio' | 'faye' | 'lesson01' | 'lesson06';

const kinds: Record<ServerKind, () => Promise<{ createServer(): http.Server | Promise<http.Server> }>> = {
  ours: () => import('./ours.ts'),
  bare: () => import('./bare.ts'),
  socketio: () => import('./socketio.ts'),
  faye: () => import('./faye.ts'),
  lesson01: () => import('./lesson01.ts'),
  lesson03: () => import('./lesson03.ts'),
  lesson06: () => import('./lesson06.ts'),
};

export interface ServerStats {
  /** Requests received and not yet answered: the held polls, once nothing else is going on. */
  open: number;
  requests: number;
  /** Bytes read and written on every connection so far, HTTP headers included. */
  bytes: number;
}

const kind = process.argv[2] as ServerKind;
if (!(kind in kinds)) throw new Error(`serve.ts: unknown server kind "${kind}"; one of ${Object.keys(kinds).join(', ')}`);
const server = await (await kinds[kind]()).createServer();
const sockets = new Set<Socket>();
const stats: ServerStats = { open: 0, requests: 0, bytes: 0 };
let closedBytes = 0;

server.on('connection', (socket: Socket) => {
  sockets.add(socket);
  socket.on('close', () => {
    closedBytes += socket.bytesRead + socket.bytesWritten;
    sockets.delete(socket);
  });
});
server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
  stats.open++;
  stats.requests++;
  res.on('close', () => stats.open--);
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

function currentStats(): ServerStats {
  let bytes = closedBytes;
  for (const socket of sockets) bytes += socket.bytesRead + socket.bytesWritten;
  return { ...stats, bytes };
}

serveParent({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, (question: 'stats' | 'profile-start' | 'profile-stop') => {
  if (question === 'stats') return currentStats();
  if (question === 'profile-start') return profiler.start();
  if (question === 'profile-stop') return profiler.stop(kind);
  throw new Error(`serve.ts: unknown question ${JSON.stringify(question)}`);
});
