/**
 * The fan-out clients, in a process of their own: `fanout.ts <kind> <url> <count>`.
 * Asked `connect`, it opens `count` subscribers, a few hundred at a time. Asked
 * `broadcast`, it posts one message and answers how long the last subscriber waited for it.
 *
 * @module
 */
import { serveParent } from '../lib/child.ts';
import { client } from '../lib/http.ts';
import { profiler } from '../lib/profiler.ts';
import type { ServerKind } from '../servers/serve.ts';
import { subscriber } from './subscribers.ts';

const [kind, url, countText] = process.argv.slice(2) as [ServerKind, string, string];
const count = Number(countText);
/** New connections opened at once: enough to be quick, few enough for the listen backlog. */
const BATCH = 250;
const TEXT = 'the same message for everyone, about as long as a chat line';

const subscribers = client(url);
const publisher = client(url);
/** For each message id: how many subscribers have it, and who waits for the last one. */
const heard = new Map<number, number>();
let everyone: { id: number; done: () => void } | undefined;

function onMessage(id: number): void {
  const times = (heard.get(id) ?? 0) + 1;
  heard.set(id, times);
  if (times === count && everyone?.id === id) everyone.done();
}

async function connect(): Promise<number> {
  for (let started = 0; started < count; started += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - started) }, () => subscriber(kind, subscribers, onMessage).start());
    await Promise.all(batch);
  }
  return count;
}

async function broadcast(): Promise<{ lastMs: number }> {
  const posted = performance.now();
  const reply = await publisher.request('POST', '/messages', JSON.stringify({ text: TEXT })).answer;
  if (reply.status !== 201) throw new Error(`POST /messages answered ${reply.status}: ${reply.text}`);
  const { id } = JSON.parse(reply.text) as { id: number };
  if ((heard.get(id) ?? 0) < count) await new Promise<void>((done) => (everyone = { id, done }));
  everyone = undefined;
  heard.delete(id);
  return { lastMs: performance.now() - posted };
}

serveParent({ count }, (question: 'connect' | 'broadcast' | 'profile-start' | 'profile-stop') => {
  if (question === 'connect') return connect();
  if (question === 'broadcast') return broadcast();
  return question === 'profile-start' ? profiler.start() : profiler.stop(`clients-of-${kind}`);
});
