/**
 * Runs the Bayeux server as a process of its own:
 *
 *     npx tsx main.ts [--port N] [--timeout-ms N] [--interval-ms N]
 *                     [--max-clients N] [--max-clients-per-address N]
 *
 * (A benchmark that holds 5,000 clients from one address needs --max-clients-per-address
 * above the default 1000.)
 *
 * The endpoint is `http://127.0.0.1:<port>/bayeux`. It prints
 * `listening http://127.0.0.1:<port>` once it accepts connections, and on SIGINT or
 * SIGTERM answers every held `/meta/connect` and exits: the clients then find the server
 * gone, retry, and handshake again with the next one (their old clientId is unknown there).
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createApp } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'timeout-ms': { type: 'string' },
    'interval-ms': { type: 'string' },
    'max-clients': { type: 'string' },
    'max-clients-per-address': { type: 'string' },
  },
});
const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));

const app = await createApp({
  timeoutMs: number(values['timeout-ms']),
  intervalMs: number(values['interval-ms']),
  maxClients: number(values['max-clients']),
  maxClientsPerAddress: number(values['max-clients-per-address']),
});

// A request must arrive whole within 10 s: a client sending its body a byte a minute is cut
// off. Held connects are not affected (the limit is on receiving, not on answering).
const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000, connectionsCheckingInterval: 2500 }, app);
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await app.close();
  server.close(() => process.exit(0));
  // The held connects are answered; what is left are idle keep-alive connections.
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 1000).unref();
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
