/**
 * Runs the chat as a process of its own:
 *
 *     npx tsx main.ts [--port 4005] [--file data/chat.sqlite] [--demo] [--hold-ms N] [--grace-ms N] [--commit-delay-ms N]
 *
 * It prints `listening http://127.0.0.1:<port>` once it accepts connections, and on
 * SIGINT or SIGTERM answers every held poll "cancelled" and finishes its last write.
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
    file: { type: 'string', default: 'data/chat.sqlite' },
    demo: { type: 'boolean', default: false },
    'hold-ms': { type: 'string' },
    'grace-ms': { type: 'string' },
    'commit-delay-ms': { type: 'string' },
  },
});
const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));

const app = await createApp({
  file: values.file,
  demo: values.demo,
  holdMs: number(values['hold-ms']),
  presenceGraceMs: number(values['grace-ms']),
  commitDelayMs: number(values['commit-delay-ms']),
});
const server = http.createServer(app);
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

async function stop(): Promise<void> {
  await app.close();
  server.close();
  server.closeAllConnections();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
