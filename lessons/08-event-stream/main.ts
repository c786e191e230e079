/**
 * Runs lesson 08's server as a process of its own:
 *
 *     npx tsx main.ts [--port 4008] [--retry-ms N] [--heartbeat-ms N] [--max-stream-ms N]
 *                     [--max-buffered-bytes N] [--history-limit N] [--max-streams N]
 *                     [--end-grace-ms N]
 *
 * It prints `listening http://127.0.0.1:<port>` once it accepts connections, on 127.0.0.1
 * only (`--port 0` picks a free port, and the line names it). Try it with curl:
 *
 *     curl -N http://127.0.0.1:4008/events
 *     curl -H 'content-type: application/json' -d '{"text":"hello"}' http://127.0.0.1:4008/messages
 *
 * On SIGINT or SIGTERM it ends every stream (the clients reconnect to whatever answers next)
 * and exits.
 *
 * Given whole: nothing to change here.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createApp } from './server.ts';

const usage = 'usage: npx tsx main.ts [--port N] [--retry-ms N] [--heartbeat-ms N] [--max-stream-ms N] [--max-buffered-bytes N] [--history-limit N] [--max-streams N] [--end-grace-ms N]';
const { values } = parseCommandLine({
  options: {
    port: { type: 'string', default: '0' },
    'retry-ms': { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    'max-stream-ms': { type: 'string' },
    'max-buffered-bytes': { type: 'string' },
    'history-limit': { type: 'string' },
    'max-streams': { type: 'string' },
    'end-grace-ms': { type: 'string' },
  },
});

/** parseArgs, with an unknown flag told in one line (and exit 2) rather than a stack trace. */
function parseCommandLine(config: { options: Record<string, { type: 'string'; default?: string }> }) {
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}
const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));

// Each option of createApp and the flag that sets it.
const flags = {
  retryMs: 'retry-ms',
  heartbeatMs: 'heartbeat-ms',
  maxStreamMs: 'max-stream-ms',
  maxBufferedBytes: 'max-buffered-bytes',
  historyLimit: 'history-limit',
  maxStreams: 'max-streams',
  endGraceMs: 'end-grace-ms',
} as const;

let app: ReturnType<typeof createApp>;
try {
  app = createApp(Object.fromEntries(Object.entries(flags).map(([option, flag]) => [option, number(values[flag])])));
} catch (error) {
  if (!(error instanceof RangeError)) throw error;
  // A bad value ("256k", "1s") is refused before the server starts: say which flag it was.
  const [, flag] = Object.entries(flags).find(([option]) => error.message.includes(` ${option} `)) ?? [];
  console.error(flag ? `--${flag} ${values[flag]}: ${error.message}` : error.message);
  process.exit(2);
}

// A request must arrive whole within 10 s: a client sending its headers a byte a minute is cut
// off. Open streams are not affected (the limit is on receiving the request, not on answering).
const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000, connectionsCheckingInterval: 2500 }, app);
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  app.shutdown();
  server.close(() => process.exit(0));
  // The streams are ended; what is left are idle keep-alive connections.
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 1000).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
