/**
 * Measure 1's clients, in a process of their own:
 * `polling.ts <kind> <url> <clients> <messages> <ms between messages>`.
 * Asked `run`, it starts the lesson's own client code — lesson 01's naive poller (asking
 * every second) or lesson 04's resuming client (held polls) — spread over the first
 * second, posts the messages at a steady pace, and reports how late each message reached
 * each client.
 *
 * @module
 */
import { startPolling } from '../../solutions/01-naive-polling/client.ts';
import { startResumingClient } from '../../solutions/04-resume/client.ts';
import { serveParent } from '../lib/child.ts';
import { client } from '../lib/http.ts';

const [kind, url, clientsText, messagesText, everyText] = process.argv.slice(2) as ['lesson01' | 'ours', string, string, string, string];
const CLIENTS = Number(clientsText);
const MESSAGES = Number(messagesText);
const MESSAGE_EVERY_MS = Number(everyText);
const POLL_EVERY_MS = 1000;

export interface PollingRun {
  messages: number;
  deliveries: number;
  latenciesMs: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(): Promise<PollingRun> {
  const postedAt = new Map<number, number>();
  const latenciesMs: number[] = [];
  let deliveries = 0;
  let allDelivered: (() => void) | undefined;
  const onMessage = (message: { id: number }) => {
    latenciesMs.push(performance.now() - postedAt.get(message.id)!);
    if (++deliveries === CLIENTS * MESSAGES) allDelivered?.();
  };
  const pollers: Array<{ stop(): void }> = [];
  for (let i = 0; i < CLIENTS; i++) {
    pollers.push(kind === 'lesson01' ? startPolling({ baseUrl: url, intervalMs: POLL_EVERY_MS, onMessage }) : startResumingClient({ baseUrl: url, onMessage }));
    await sleep(POLL_EVERY_MS / CLIENTS); // spread the naive pollers' phases over the second
  }
  const publisher = client(url);
  for (let n = 1; n <= MESSAGES; n++) {
    // The id is known only from the answer, which may come after the first deliveries:
    // record the time before sending, under the id this message will get (ids are 1, 2, 3…).
    postedAt.set(n, performance.now());
    const reply = await publisher.request('POST', '/messages', JSON.stringify({ text: `message ${n}, about as long as a chat line` })).answer;
    if (reply.status !== 201 || (JSON.parse(reply.text) as { id: number }).id !== n) throw new Error(`POST /messages: ${reply.status} ${reply.text}`);
    if (n < MESSAGES) await sleep(MESSAGE_EVERY_MS);
  }
  if (deliveries < CLIENTS * MESSAGES) {
    await Promise.race([new Promise<void>((done) => (allDelivered = done)), sleep(10_000)]);
  }
  for (const poller of pollers) poller.stop();
  return { messages: MESSAGES, deliveries, latenciesMs };
}

serveParent({}, () => run());
