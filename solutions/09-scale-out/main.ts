/**
 * Runs one process of lesson 09's service:
 *
 *     npx tsx main.ts --port N --redis redis://127.0.0.1:6379 [--name A] [--hold-ms N]
 *                     [--history-limit N] [--prefix comet] [--retry-ms N] [--max-retry-ms N]
 *     npx tsx main.ts --port N --stand-in [--name A] …
 *
 * Start it several times, with other ports and names, on the same Redis: that is the service.
 * It listens on 127.0.0.1 only and prints `listening http://127.0.0.1:<port>` once it has
 * loaded the kept history (`--port 0` picks a free port, and the line names it). While Redis
 * cannot be reached at start it says why and tries again, longer after each failure.
 * `--stand-in` runs it on the in-process stand-in instead of Redis (one process alone: a
 * stand-in shares nothing with another process). On SIGINT or SIGTERM it answers its held
 * polls "cancelled", closes its Redis connections and exits.
 *
 * Given whole: nothing to change here.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { BrokerDown, connectBroker, type Broker } from './broker.ts';
import { DEFAULT_MAX_RETRY_MS, DEFAULT_RETRY_MS } from './protocol.ts';
import { createApp, type ScaleApp } from './server.ts';
import { createStandInBroker } from './stand-in.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    redis: { type: 'string' },
    'stand-in': { type: 'boolean', default: false },
    name: { type: 'string', default: 'A' },
    'hold-ms': { type: 'string' },
    'history-limit': { type: 'string' },
    prefix: { type: 'string' },
    'retry-ms': { type: 'string' },
    'max-retry-ms': { type: 'string' },
  },
});
const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
const name = values.name;
const historyLimit = number(values['history-limit']);
const retryMs = number(values['retry-ms']) ?? DEFAULT_RETRY_MS;
const maxRetryMs = number(values['max-retry-ms']) ?? DEFAULT_MAX_RETRY_MS;

let broker: Broker;
if (values.redis !== undefined) {
  broker = connectBroker({ url: values.redis, prefix: values.prefix, historyLimit, retryMs, maxRetryMs });
} else if (values['stand-in']) {
  broker = createStandInBroker({ historyLimit });
  console.log(`process ${name}: running on the in-process STAND-IN broker, not Redis — it shares nothing with other processes`);
} else {
  console.error('Say where Redis is (--redis redis://127.0.0.1:6379), or run on the in-process stand-in (--stand-in).');
  process.exit(2);
}

// Load the history, trying again while Redis cannot be reached: the process listens only
// once it knows where the stream is, so that it never answers a poll from an empty window.
let app: ScaleApp | undefined;
for (let failures = 1; app === undefined; failures++) {
  try {
    app = await createApp({ broker, name, holdMs: number(values['hold-ms']), historyLimit });
  } catch (error) {
    if (!(error instanceof BrokerDown)) throw error;
    const waitMs = Math.min(retryMs * 2 ** (failures - 1), maxRetryMs);
    console.error(`process ${name}: cannot load the history (${error.message}); trying again in ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
const ready = app;

// A request must arrive whole within 10 s; held polls are not affected (the limit is on
// receiving the request, not on answering it).
const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000, connectionsCheckingInterval: 2500 }, ready);
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  void ready.shutdown().finally(() => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
