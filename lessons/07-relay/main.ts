/**
 * Runs the relay as a process of its own:
 *
 *     npx tsx main.ts [--port 4007] [--agents agents.json] [--demo] [--hold-ms N]
 *                     [--deadline-ms N] [--offline-after-ms N] [--max-pending N]
 *
 * `agents.json` is `{ "agents": [{ "name", "secretHash", "callerKeyHashes": [...] }] }`,
 * hashes made with secrets.ts (hashSecret, hashKey): the relay never holds a secret itself.
 * `--demo` adds protocol.ts's demo agent and caller key.
 *
 * It prints `listening http://127.0.0.1:<port>` once it accepts connections, on 127.0.0.1
 * only. On SIGINT or SIGTERM it answers every held request 503 and exits.
 *
 * Given whole: nothing to change here.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { AgentConfig } from './protocol.ts';
import { createApp } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    agents: { type: 'string' },
    demo: { type: 'boolean', default: false },
    'hold-ms': { type: 'string' },
    'deadline-ms': { type: 'string' },
    'offline-after-ms': { type: 'string' },
    'max-pending': { type: 'string' },
  },
});
const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
const agents = values.agents === undefined ? [] : (JSON.parse(readFileSync(values.agents, 'utf8')) as { agents: AgentConfig[] }).agents;

const app = await createApp({
  agents,
  demo: values.demo,
  holdMs: number(values['hold-ms']),
  deadlineMs: number(values['deadline-ms']),
  offlineAfterMs: number(values['offline-after-ms']),
  maxPending: number(values['max-pending']),
});

// A request must arrive whole within 10 s; held requests are not affected (the limit is on receiving).
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
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 1000).unref();
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
