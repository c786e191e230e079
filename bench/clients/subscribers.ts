/**
 * One subscriber per protocol: each holds one request at the server at a time, hears
 * message ids, and polls again at once. They speak the wire protocols directly over the
 * same node:http client, so that the clients cost the same whatever the server.
 *
 * @module
 */
import type { Answer, Client } from '../lib/http.ts';
import type { ServerKind } from '../servers/serve.ts';

export interface Subscriber {
  /** Resolves once the subscriber's first held request is written out. */
  start(): Promise<void>;
}

type OnMessage = (id: number) => void;

/** Where the Bayeux servers (Faye's, lesson 06's) take messages, and the one channel of the bench. */
export const BAYEUX = { path: '/bayeux', channel: '/chat' } as const;

/** The servers the bench talks to in Bayeux. */
export const speaksBayeux = (kind: ServerKind): boolean => kind === 'faye' || kind === 'lesson06';

export function subscriber(kind: ServerKind, http: Client, onMessage: OnMessage): Subscriber {
  if (kind === 'socketio') return socketIoSubscriber(http, onMessage);
  if (speaksBayeux(kind)) return bayeuxSubscriber(http, onMessage);
  return pollSubscriber(http, onMessage);
}

/**
 * The lessons' protocol (and the bare reference's): GET /poll?after=<last id>, answered with
 * `messages` (lesson 04) or one `message` (lesson 03, which ignores `after`).
 */
function pollSubscriber(http: Client, onMessage: OnMessage): Subscriber {
  let after = 0;
  const poll = () => http.request('GET', `/poll?after=${after}`);
  return {
    start() {
      const first = poll();
      keepPolling(first.answer, () => poll().answer, async (text) => {
        const answer = JSON.parse(text) as { messages?: Array<{ id: number }>; message?: { id: number } };
        for (const message of answer.messages ?? (answer.message ? [answer.message] : [])) {
          after = Math.max(after, message.id);
          onMessage(message.id);
        }
      });
      return first.sent;
    },
  };
}

/** Engine.IO 4 over HTTP long-polling: handshake, connect to "/", then GET packets. */
function socketIoSubscriber(http: Client, onMessage: OnMessage): Subscriber {
  const base = '/socket.io/?EIO=4&transport=polling';
  return {
    async start() {
      const handshake = await http.request('GET', base).answer;
      const { sid } = JSON.parse(handshake.text.slice(1)) as { sid: string };
      const path = `${base}&sid=${sid}`;
      await http.request('POST', path, '40', 'text/plain;charset=UTF-8').answer;
      const poll = () => http.request('GET', path);
      const first = poll();
      keepPolling(first.answer, () => poll().answer, async (text) => {
        for (const packet of text.split('\x1e')) {
          if (packet === '2') await http.request('POST', path, '3', 'text/plain;charset=UTF-8').answer; // ping → pong
          else if (packet.startsWith('42')) onMessage((JSON.parse(packet.slice(2)) as [string, { id: number }])[1].id);
        }
      });
      return first.sent;
    },
  };
}

/** Bayeux over HTTP long-polling: handshake, subscribe to /chat, then /meta/connect. Any refusal stops the bench. */
function bayeuxSubscriber(http: Client, onMessage: OnMessage): Subscriber {
  let messageId = 0;
  const post = (message: Record<string, unknown>) => http.request('POST', BAYEUX.path, JSON.stringify([{ ...message, id: String(++messageId) }]));
  const successful = (channel: string, text: string) => {
    const replies = JSON.parse(text) as BayeuxMessage[];
    const reply = replies.find((m) => m.channel === channel);
    if (reply?.successful !== true) throw new Error(`${channel} was refused: ${text.slice(0, 200)}`);
    return { reply, replies };
  };
  return {
    async start() {
      const handshake = await post({ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }).answer;
      const clientId = successful('/meta/handshake', handshake.text).reply.clientId;
      successful('/meta/subscribe', (await post({ channel: '/meta/subscribe', clientId, subscription: BAYEUX.channel }).answer).text);
      const connect = () => post({ channel: '/meta/connect', clientId, connectionType: 'long-polling' });
      const first = connect();
      keepPolling(first.answer, () => connect().answer, async (text) => {
        for (const message of successful('/meta/connect', text).replies) {
          if (message.channel === BAYEUX.channel) onMessage(message.data!.id);
        }
      });
      return first.sent;
    },
  };
}

interface BayeuxMessage {
  channel: string;
  successful?: boolean;
  clientId?: string;
  data?: { id: number };
}

/** Reads each answer and asks again at once, for as long as the process lives. */
function keepPolling(first: Promise<Answer>, again: () => Promise<Answer>, read: (text: string) => Promise<void>): void {
  const loop = async () => {
    for (let pending = first; ; pending = again()) {
      const answer = await pending;
      if (answer.status !== 200) throw new Error(`a poll was answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      await read(answer.text);
    }
  };
  loop().catch((error: unknown) => {
    console.error('bench subscriber failed:', error);
    process.exit(1);
  });
}
