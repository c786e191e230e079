/**
 * Runs the chat as a process of its own:
 *
 *     npx tsx main.ts [--port 4005] [--file data/chat.sqlite] [--demo] [--hold-ms N] [--grace-ms N]
 *                     [--commit-delay-ms N] [--snapshot-min-bytes N] [--request-timeout-ms N]
 *                     [--max-connections-per-address N] [--password-tries-per-address N]
 *
 * It prints `listening http://127.0.0.1:<port>` once it accepts connections, and on
 * SIGINT or SIGTERM answers every held poll "cancelled" and finishes its last write.
 *
 * Two limits protect it from clients that hold on to connections without using them:
 * - a request must arrive whole (headers and body) within `--request-timeout-ms` (default
 *   10 s): a client that sends its body one byte a minute is cut off, not kept for ever.
 *   Held polls are not affected: the limit is on receiving the request, not on answering it;
 * - one address may keep at most `--max-connections-per-address` connections open (default
 *   200); a connection past that is answered `503` and closed at once, request or not (an
 *   idle connection holds a file handle as much as a busy one).
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { createApp } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    file: { type: 'string', default: 'data/chat.sqlite' },
    demo: { type: 'boolean', default: false },
    'hold-ms': { type: 'string' },
    'grace-ms': { type: 'string' },
    'commit-delay-ms': { type: 'string' },
    'snapshot-min-bytes': { type: 'string' },
    'request-timeout-ms': { type: 'string', default: '10000' },
    'max-connections-per-address': { type: 'string', default: '200' },
    'password-tries-per-address': { type: 'string' },
  },
});
const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));

const app = await createApp({
  file: values.file,
  demo: values.demo,
  holdMs: number(values['hold-ms']),
  presenceGraceMs: number(values['grace-ms']),
  commitDelayMs: number(values['commit-delay-ms']),
  snapshotMinBytes: number(values['snapshot-min-bytes']),
  passwordTriesPerAddress: number(values['password-tries-per-address']),
});

const requestTimeout = Number(values['request-timeout-ms']);
const server = http.createServer(
  {
    requestTimeout,
    headersTimeout: requestTimeout,
    // How often Node looks for requests past those limits (by default every 30 s).
    connectionsCheckingInterval: Math.max(100, Math.min(requestTimeout / 4, 5000)),
  },
  app,
);
limitConnectionsPerAddress(server, Number(values['max-connections-per-address']));
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

/** Keeps at most `max` connections open per client address; one past that is told 503 and closed. */
function limitConnectionsPerAddress(target: http.Server, max: number): void {
  const open = new Map<string, number>();
  const body = JSON.stringify({ error: 'Too many open connections from your address: close some and try again.' });
  const refusal = `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  target.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.end(refusal);
      socket.destroySoon();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

async function stop(): Promise<void> {
  server.close(); // no new connections; held polls end "cancelled" in app.close()
  await app.close();
  server.closeAllConnections();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
