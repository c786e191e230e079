/**
 * The live demo of a Bayeux lesson: Faye's own browser client (faye-browser-min.js as npm
 * ships it, served by the workshop), two of them in the page, each subscribed to the demo's
 * channel through the lesson's server (the learner's or the reference); the box publishes
 * with the first. WebSocket and EventSource are turned off, so Faye long-polls.
 *
 * Faye sends its requests with XMLHttpRequest, not fetch, so they are recorded by a subclass
 * of XMLHttpRequest put in its place (Faye looks the constructor up on every request). Each
 * client has its own API prefix (`/<root>/<slug>/c/<n>/api`), so the recorder knows whose
 * request it sees: a request that carries a /meta/connect is a bar from sent to answered, and
 * every other message (handshake, subscribe, publish, disconnect) a tick when its answer comes.
 */
import type { BayeuxDemo } from '../shared/manifest.ts';
import type { RunningDemo } from './demo.ts';
import { t } from './i18n.ts';
import { Timeline, type Outcome, type TickKind } from './timeline.ts';

/** Two, not three: a browser keeps at most six connections to one server, and each held connect takes one. */
const CLIENTS = 2;

/** The part of Faye's browser API the demo uses (Faye ships no types). */
interface FayeDeferred {
  then(succeeded: () => void, failed: (error: { message?: string } | undefined) => void): unknown;
}
/** Decides whether a message is (re)sent: Faye's own retry rules, which a subclass may tighten. */
interface FayeScheduler {
  isDeliverable(): boolean;
}
type SchedulerClass = new (message: unknown, options: unknown) => FayeScheduler;
interface FayeClient {
  disable(feature: 'websocket' | 'eventsource'): void;
  subscribe(channel: string, onMessage: (data: unknown) => void): FayeDeferred;
  publish(channel: string, data: unknown): FayeDeferred;
  disconnect(): void;
}
interface Faye {
  Client: new (endpoint: string, options?: { retry?: number; scheduler?: SchedulerClass }) => FayeClient;
  Scheduler: SchedulerClass;
}

/** A Bayeux message as far as the recorder reads it. */
interface Message {
  channel?: unknown;
  id?: unknown;
  successful?: unknown;
  error?: unknown;
  advice?: { timeout?: unknown };
}

interface Recording {
  /** The demo's endpoints; the first group is the client's number. */
  readonly endpoint: RegExp;
  readonly timeline: Timeline;
  /** The hold the server advised (advice.timeout), ms: a connect answered empty after about that long timed out. */
  timeoutMs: number;
}

let recording: Recording | undefined;

/** The JSON array of Bayeux messages in `text`, or undefined when it is not one. */
function messages(text: string): Message[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((m) => typeof m === 'object' && m !== null) ? (value as Message[]) : undefined;
  } catch {
    return undefined;
  }
}

const isMeta = (message: Message) => typeof message.channel === 'string' && message.channel.startsWith('/meta/');

function tickKind(message: Message): TickKind {
  switch (message.channel) {
    case '/meta/handshake':
      return 'handshake';
    case '/meta/subscribe':
    case '/meta/unsubscribe':
      return 'subscribe';
    case '/meta/disconnect':
      return 'disconnect';
    default:
      return 'publish';
  }
}

/** How a connect ended: with messages, empty at the hold limit, empty earlier, or refused. */
function connectOutcome(r: Recording, replies: readonly Message[] | undefined, heldMs: number): Outcome {
  if (!replies) return 'error';
  const reply = replies.find((m) => m.channel === '/meta/connect');
  if (reply?.successful !== true) return 'error';
  if (replies.some((m) => !isMeta(m))) return 'message';
  return r.timeoutMs > 0 && heldMs >= 0.9 * r.timeoutMs ? 'timeout' : 'empty';
}

/**
 * Why `message` did not succeed (no reply on its channel with its id, or with no id at all as
 * an unfinished server may send; or one with an error), or undefined when it did.
 */
function problemWith(message: Message, replies: readonly Message[] | undefined, xhr: XMLHttpRequest): string | undefined {
  if (!replies) return xhr.status === 0 ? 'no answer' : `HTTP ${xhr.status} without a JSON array of replies`;
  const reply = replies.find((r) => r.channel === message.channel && (r.id === message.id || r.id === undefined));
  if (reply?.successful === true) return undefined;
  return typeof reply?.error === 'string' ? reply.error : reply ? 'unsuccessful, with no error' : 'no reply to it';
}

/**
 * Records one request: a bar if it carries a /meta/connect (Faye sends the first one in the
 * same request as the subscriptions), and a tick for each other message in it, when answered.
 */
function record(xhr: XMLHttpRequest, r: Recording, client: number, body: string): void {
  const sent = messages(body) ?? [];
  const bar = sent.some((m) => m.channel === '/meta/connect') ? r.timeline.begin(client) : undefined;
  let aborted = false;
  xhr.addEventListener('abort', () => (aborted = true));
  xhr.addEventListener('loadend', () => {
    const replies = xhr.status >= 200 && xhr.status < 300 ? messages(xhr.responseText) : undefined;
    for (const reply of replies ?? []) {
      if (typeof reply.advice?.timeout === 'number') r.timeoutMs = reply.advice.timeout;
    }
    for (const message of sent) if (message.channel !== '/meta/connect') r.timeline.tick(client, tickKind(message), problemWith(message, replies, xhr));
    if (bar) r.timeline.end(bar, aborted ? 'aborted' : connectOutcome(r, replies, performance.now() - bar.started));
  });
}

const NativeXMLHttpRequest = window.XMLHttpRequest;

/** XMLHttpRequest as before, but a request to the running demo's endpoints is recorded. */
window.XMLHttpRequest = class RecordedXMLHttpRequest extends NativeXMLHttpRequest {
  #path = '';

  override open(method: string, url: string | URL, async = true, username?: string | null, password?: string | null): void {
    this.#path = new URL(url, location.href).pathname;
    super.open(method, url, async, username, password);
  }

  override send(body?: Document | XMLHttpRequestBodyInit | null): void {
    const r = recording;
    const client = r && Number(r.endpoint.exec(this.#path)?.[1]);
    if (r && client) record(this, r, client, typeof body === 'string' ? body : '');
    super.send(body);
  }
};

let faye: Promise<Faye> | undefined;

/** Loads Faye's browser client once, as a classic script (it defines the global Faye). */
function loadFaye(src: string): Promise<Faye> {
  faye ??= new Promise<Faye>((resolve, reject) => {
    const script = Object.assign(document.createElement('script'), { src });
    script.addEventListener('load', () => {
      const loaded = (window as unknown as { Faye?: Faye }).Faye;
      if (loaded) resolve(loaded);
      else reject(new Error(t('errors.noFaye', { src })));
    });
    script.addEventListener('error', () => {
      faye = undefined;
      reject(new Error(t('errors.notLoaded', { src })));
    });
    document.head.append(script);
  });
  return faye;
}

/** A Faye deferred (a subscription, a publication) as a promise. */
function settled(deferred: FayeDeferred): Promise<void> {
  return new Promise((resolve, reject) => deferred.then(resolve, (error) => reject(new Error(error?.message ?? t('errors.refused')))));
}

/** What a message says, for the page: its `text`, or its data as JSON. */
function textOf(data: unknown): string {
  const text = (data as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : JSON.stringify(data);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Starts the demo: `root` picks the server (`lessons`: the workshop's target, `solutions`: the
 * reference), `script` is where the workshop serves Faye's browser client. `onReceive` hears
 * every message a client delivers. `ready` settles once every client is subscribed.
 */
export async function startBayeuxDemo(
  slug: string,
  demo: BayeuxDemo,
  root: 'lessons' | 'solutions',
  script: string | undefined,
  onReceive: (client: number, text: string) => void,
): Promise<RunningDemo> {
  if (!script) throw new Error(t('errors.noFayeClient'));
  const Faye = await loadFaye(script);
  const timeline = new Timeline();
  const session: Recording = { endpoint: new RegExp(`^/${root}/${escapeRegExp(slug)}/c/(\\d+)/api${escapeRegExp(demo.endpoint)}$`), timeline, timeoutMs: 0 };
  recording = session;
  let stopped = false;
  // Once stopped, nothing more is sent or sent again (Faye would go on retrying a failed handshake).
  const scheduler = class extends Faye.Scheduler {
    override isDeliverable(): boolean {
      return !stopped && super.isDeliverable();
    }
  };
  const delivered = Array.from({ length: CLIENTS }, () => 0);
  const clients = delivered.map((_, index) => {
    const client = new Faye.Client(`${location.origin}/${root}/${slug}/c/${index + 1}/api${demo.endpoint}`, { retry: 2, scheduler });
    client.disable('websocket');
    client.disable('eventsource');
    return client;
  });
  const subscriptions = clients.map((client, index) =>
    settled(
      client.subscribe(demo.channel, (data) => {
        delivered[index]!++;
        onReceive(index + 1, textOf(data));
      }),
    ).catch((error: Error) => Promise.reject(new Error(t('errors.notSubscribed', { client: index + 1, channel: demo.channel, error: error.message })))),
  );
  return {
    timeline,
    delivered,
    clients: CLIENTS,
    root,
    ready: Promise.all(subscriptions).then(() => undefined),
    stop() {
      for (const client of clients) client.disconnect(); // sent at once, before the door closes
      stopped = true;
      if (recording === session) recording = undefined;
    },
    async post(text: string) {
      timeline.posts.push(performance.now());
      await settled(clients[0]!.publish(demo.channel, { text }));
    },
  };
}
