/**
 * A STAND-IN for Redis, inside one Node process: the same Broker interface as broker.ts, so
 * that `npm start` can show the lesson on a machine without redis-server (several apps in one
 * process, each with its own connection to one shared store). It is not Redis: nothing is
 * written to disk, nothing is shared with another process, and it never goes down. The
 * processes in the lesson's own tests always run on a real redis-server.
 *
 * Given whole: nothing to change here.
 *
 * @module
 */
import { BrokerDown, type Broker } from './broker.ts';
import { DEFAULT_HISTORY_LIMIT, type Message } from './protocol.ts';

export interface StandInOptions {
  /** How many of the newest messages the store keeps (default 1000), as MAXLEN in Redis. */
  historyLimit?: number;
}

/** A stand-in connection; `connect()` opens another one to the same store (another "process"). */
export interface StandInBroker extends Broker {
  readonly kind: 'stand-in';
  connect(): StandInBroker;
}

interface Follower {
  last: number;
  onMessage: (m: Message) => void;
  onReset: (history: Message[]) => void;
  scheduled: boolean;
}

/** What Redis holds: the counter and the capped history, shared by every connection. */
class Store {
  seq = 0;
  readonly messages: Message[] = [];
  readonly followers = new Set<Follower>();
  constructor(readonly historyLimit: number) {}

  append(text: string): Message {
    const message: Message = { id: ++this.seq, text, time: Date.now() };
    this.messages.push(message);
    if (this.messages.length > this.historyLimit) this.messages.shift();
    for (const follower of this.followers) this.schedule(follower);
    return message;
  }

  /** Delivers to `follower`, later (as a message from Redis would arrive), what it lacks. */
  schedule(follower: Follower): void {
    if (follower.scheduled) return;
    follower.scheduled = true;
    setImmediate(() => {
      follower.scheduled = false;
      if (!this.followers.has(follower)) return;
      const newer = this.messages.filter((m) => m.id > follower.last);
      if (newer.length === 0) return;
      if (newer[0]!.id !== follower.last + 1) {
        // Trimmed before it was delivered: the follower starts again from the kept history.
        follower.last = this.messages.at(-1)!.id;
        follower.onReset([...this.messages]);
        return;
      }
      for (const message of newer) {
        follower.last = message.id;
        follower.onMessage(message);
      }
    });
  }
}

/** A stand-in broker on a new, empty store. */
export function createStandInBroker(options: StandInOptions = {}): StandInBroker {
  return connectTo(new Store(options.historyLimit ?? DEFAULT_HISTORY_LIMIT));
}

function connectTo(store: Store): StandInBroker {
  const mine = new Set<Follower>();
  let closed = false;
  const open = (): void => {
    if (closed) throw new BrokerDown('The stand-in broker is closed.');
  };
  return {
    kind: 'stand-in',
    async append(text) {
      open();
      return store.append(text);
    },
    async history() {
      open();
      return [...store.messages];
    },
    follow(after, onMessage, onReset) {
      if (closed) return;
      const follower: Follower = { last: after, onMessage, onReset, scheduled: false };
      mine.add(follower);
      store.followers.add(follower);
      store.schedule(follower);
    },
    async close() {
      closed = true;
      for (const follower of mine) store.followers.delete(follower);
      mine.clear();
    },
    connect: () => connectTo(store),
  };
}
