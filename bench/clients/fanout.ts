/**
 * The fan-out clients, in a process of their own: `fanout.ts <kind> <url> <count> [post|bayeux]`.
 * Asked `connect`, it opens `count` subscribers, a few hundred at a time. Asked
 * `broadcast`, it sends one message and answers how long the last subscriber waited for it:
 * by POST /messages, or with `bayeux`, to a server that speaks Bayeux, as a Bayeux publish.
 *
 * @module
 */
import { serveParent } from '../lib/child.ts';
import { client } from '../lib/http.ts';
import { profiler } from '../lib/profiler.ts';
import type { Publish } from '../fanout.ts';
import type { ServerKind } from '../servers/serve.ts';
import { BAYEUX, speaksBayeux, subscriber } from './subscribers.ts';

const [kind, url, countText, via = 'post'] = process.argv.slice(2) as [ServerKind, string, string, Publish?];
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

let published = 0;

/** Sends one message to everyone and answers its id: a Bayeux publish on the bench's channel, or POST /messages. */
async function publish(): Promise<number> {
  if (via === 'bayeux' && speaksBayeux(kind)) {
    const id = ++published;
    const reply = await publisher.request('POST', BAYEUX.path, JSON.stringify([{ channel: BAYEUX.channel, data: { id, text: TEXT, time: Date.now() } }])).answer;
    const [ack] = JSON.parse(reply.text) as Array<{ successful?: boolean }>;
    if (reply.status !== 200 || ack?.successful !== true) throw new Error(`the publish to ${BAYEUX.path} was answered ${reply.status}: ${reply.text}`);
    return id;
  }
  const reply = await publisher.request('POST', '/messages', JSON.stringify({ text: TEXT })).answer;
  if (reply.status !== 201) throw new Error(`POST /messages answered ${reply.status}: ${reply.text}`);
  return (JSON.parse(reply.text) as { id: number }).id;
}

async function broadcast(): Promise<{ lastMs: number }> {
  const posted = performance.now();
  const id = await publish();
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
