/**
 * Lesson 09 — everything Redis. Every process of the service talks to one Redis through a
 * broker: it appends new messages there (Redis gives the ids), reads the kept history from
 * there, and follows the stream of new messages, whichever process took them.
 *
 * Redis layout (with the prefix `comet`, the default):
 * - `comet:seq` — a counter (INCR): the last id given out;
 * - `comet:messages` — a Redis Stream, one entry per message, entry id `<message id>-0`,
 *   fields `text` and `time`, capped at the newest `historyLimit` entries (MAXLEN =).
 *
 * Your task: TODOs 1 to 5 (server.ts has 6 to 12). The connections, the error mapping (run),
 * the two scripts and the reading of stream entries are given. `npm run verify -- 9` grades your work.
 *
 * @module
 */
import { Redis } from 'ioredis';
import { DEFAULT_BLOCK_MS, DEFAULT_HISTORY_LIMIT, DEFAULT_MAX_RETRY_MS, DEFAULT_PREFIX, DEFAULT_RETRY_MS, type Message } from './protocol.ts';

export interface Broker {
  /** `'redis'` for a real Redis, `'stand-in'` for the in-process stand-in (stand-in.ts). */
  readonly kind: 'redis' | 'stand-in';
  /** Stores a new message; resolves with it (its id from Redis). Rejects with BrokerDown when Redis cannot be reached. */
  append(text: string): Promise<Message>;
  /** The kept history, oldest first (at most historyLimit). Rejects with BrokerDown. */
  history(): Promise<Message[]>;
  /**
   * Calls onMessage for every message with an id greater than `after`, in id order, each once —
   * also across Redis restarts and reconnects (it resumes from the last id it delivered).
   * onReset(history) when it finds that messages it never delivered were trimmed meanwhile
   * (the first id it reads is not last + 1), or that Redis lost messages (it restarted without
   * its data): the caller replaces its window with `history`, which may be empty.
   */
  follow(after: number, onMessage: (m: Message) => void, onReset: (history: Message[]) => void): void;
  /** Stops following and closes the connections. */
  close(): Promise<void>;
}

/** Redis cannot be reached: the command did not run, or nobody can tell whether it did. */
export class BrokerDown extends Error {
  override name = 'BrokerDown';
}

export interface BrokerOptions {
  /** Where Redis is: `redis://127.0.0.1:6379`. */
  url: string;
  /** The first part of every key (default `comet`): `<prefix>:seq`, `<prefix>:messages`. */
  prefix?: string;
  /** How many of the newest messages the stream keeps (default 1000): the processes' historyLimit. */
  historyLimit?: number;
  /** How long one XREAD waits in Redis for a new entry (default 5000 ms). */
  blockMs?: number;
  /** The pause after the first failure in a row (default 100 ms); it doubles with each further one… */
  retryMs?: number;
  /** …up to this (default 2000 ms). */
  maxRetryMs?: number;
}

/**
 * Appends one message, atomically: a script runs in Redis from start to end with nothing else
 * in between, so the id taken by INCR enters the stream before any later id, whichever process
 * asks. KEYS: the counter, the stream. ARGV: the text, the time, historyLimit. Returns the id.
 */
export const APPEND_SCRIPT = "local id = redis.call('INCR', KEYS[1]); redis.call('XADD', KEYS[2], 'MAXLEN', '=', ARGV[3], id .. '-0', 'text', ARGV[1], 'time', ARGV[2]); return id";

/**
 * Checks that Redis still has what this process has seen — after Redis was out of reach, it may
 * have restarted without (all of) its data. KEYS: the counter, the stream. ARGV: the last id this
 * process delivered. Returns 0 when all is well: the counter is at or past that id, and the
 * stream ends at the counter (an append writes both at once, so they always agree). Returns 1
 * when Redis lost messages: the counter is behind that id, or the stream does not end at the
 * counter (another process found the loss first). Then it moves the counter up to that id, so that
 * no id is ever given out twice, and drops what is left of the stream (it ends before the lost
 * messages: a hole no window can hold).
 */
export const LOSS_SCRIPT =
  "local seq = tonumber(redis.call('GET', KEYS[1]) or '0'); local last = tonumber(ARGV[1]); local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]; local top = newest and tonumber(string.match(newest[1], '^%d+')) or 0; if seq >= last and top == seq then return 0 end; if seq < last then redis.call('SET', KEYS[1], last) end; redis.call('DEL', KEYS[2]); return 1";

export function connectBroker(options: BrokerOptions): Broker {
  const {
    url,
    prefix = DEFAULT_PREFIX,
    historyLimit = DEFAULT_HISTORY_LIMIT,
    blockMs = DEFAULT_BLOCK_MS,
    retryMs = DEFAULT_RETRY_MS,
    maxRetryMs = DEFAULT_MAX_RETRY_MS,
  } = options;
  const seqKey = `${prefix}:seq`;
  const streamKey = `${prefix}:messages`;
  const backOff = (failures: number): number => Math.min(retryMs * 2 ** (failures - 1), maxRetryMs);
  let closed = false;

  // Two connections: a blocked XREAD occupies its connection until it returns, so the follow
  // loop gets one of its own and every other command goes through the other.
  const commands = connect(url, 'commands', backOff);
  const reader = connect(url, 'reader', backOff);

  /**
   * Runs a command on `connection`; a failure to reach Redis (no connection now, or the
   * connection lost before the answer) becomes BrokerDown. Given: use it for every command.
   */
  async function run<T>(connection: Connection, command: (redis: Redis) => Promise<T>): Promise<T> {
    if (closed) throw new BrokerDown('The broker is closed.');
    await connection.firstAttempt;
    try {
      return await command(connection.redis);
    } catch (error) {
      if (closed || isConnectionFailure(error)) throw new BrokerDown(`Redis cannot be reached at ${url}: ${(error as Error).message}`, { cause: error });
      throw error;
    }
  }

  /** The whole kept history, read on `connection`. */
  async function readHistory(connection: Connection): Promise<Message[]> {
    // TODO 2: the stream's entries, oldest first, as messages (toMessage is given) — at most
    //   the newest historyLimit. Every command goes through run(connection, …).
    void connection;
    return [];
  }

  let wakeUp: (() => void) | undefined;
  /** Waits `ms`, or less if the broker is closed meanwhile. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  return {
    kind: 'redis',

    async append(text) {
      // TODO 1: store the message with one run of APPEND_SCRIPT (its KEYS and ARGV are above
      //   it) on the commands connection, and resolve with { id, text, time } once Redis has
      //   answered — with the id Redis gave, never one of your own. (ioredis types the answer
      //   of eval as unknown: it is the id, a number.)
      void text;
      throw new Error('append() is not written yet: broker.ts TODO 1.');
    },

    history() {
      return readHistory(commands);
    },

    follow(after, onMessage, onReset) {
      // The last id delivered: every XREAD asks for what comes after it, so nothing appended
      // while this process was not reading (a reconnect, a Redis restart) is skipped.
      let last = after;
      let failures = 0;
      const loop = async (): Promise<void> => {
        while (!closed) {
          // TODO 3: wait in Redis for the entries after `last` (XREAD BLOCK, for blockMs) on the
          //   reader connection — a blocked XREAD holds its connection, so never on the one
          //   append uses — and deliver each with onMessage, in order; `last` follows. (ioredis:
          //   null when blockMs passed with nothing new, else [[streamKey, entries]].)
          // TODO 4: the history can change under this process in two ways; both end in a reset:
          //   the kept history (readHistory), `last` moved to its last id (left where it is when
          //   the history is empty), onReset(history) — and reading goes on from `last`.
          //   - Trimmed: the first entry read is not last + 1 (entries went before it read them).
          //   - Lost: after a failure, Redis may have restarted without its data. Before reading
          //     on, run the given LOSS_SCRIPT with `last`: 1 means Redis lost messages.
          // TODO 5: nothing may be thrown at the event loop: catch every failure, wait
          //   backOff(failures in a row) — a successful read starts the count again — and ask
          //   again from `last`, never from '$' (that skips what came while this process was
          //   cut off). Stop when the broker is closed.
          void [last, failures, blockMs, onMessage, onReset, pause, backOff];
          return;
        }
      };
      void loop();
    },

    async close() {
      closed = true;
      wakeUp?.();
      await Promise.all([commands.close(), reader.close()]);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Given: the connections, and reading stream entries.

interface Connection {
  readonly redis: Redis;
  /** Settles when the first attempt to connect has succeeded or failed. */
  readonly firstAttempt: Promise<void>;
  close(): Promise<void>;
}

/**
 * One ioredis connection. It reconnects by itself, after `backOff(n)` ms for the n-th attempt
 * in a row. With no offline queue, a command sent while it is not connected fails at once
 * instead of waiting for a reconnect; and a command in flight when the connection drops
 * fails at once too (no retry per request).
 */
function connect(url: string, role: string, backOff: (failures: number) => number): Connection {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: backOff });
  let up = false;
  let lost = false;
  let gone = false;
  // Connection errors arrive as 'error' events: listened to here (one line when the connection
  // is lost, one when it is back), never thrown at the event loop.
  const down = (why: string): void => {
    if (up && !gone) {
      console.warn(`[redis ${role}] connection to ${url} lost (${why}); reconnecting`);
      lost = true;
    }
    up = false;
  };
  redis.on('error', (error: Error) => down(error.message));
  redis.on('close', () => down('closed'));
  redis.on('ready', () => {
    if (lost && !gone) console.warn(`[redis ${role}] connection to ${url} is back`);
    up = true;
    lost = false;
  });
  const firstAttempt = new Promise<void>((resolve) => {
    for (const event of ['ready', 'error', 'close', 'end']) redis.once(event, () => resolve());
  });
  return {
    redis,
    firstAttempt,
    close() {
      gone = true;
      if (redis.status === 'end') return Promise.resolve();
      const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
      redis.disconnect();
      // Between two attempts to reconnect there is no socket to close, and ioredis never says
      // 'end': there is nothing left to wait for (waiting would hang a shutdown while Redis is down).
      const status: string = redis.status; // disconnect() changed it: TypeScript cannot know
      return status === 'end' || status === 'reconnecting' ? Promise.resolve() : ended;
    },
  };
}

/** True for errors that mean Redis could not be reached, not that it refused the command. */
function isConnectionFailure(error: unknown): boolean {
  // Redis's own answers are ReplyErrors; only those it gives while it cannot serve yet (still
  // loading its file after a restart, busy with a script) count as "down".
  if (error instanceof Error && error.name === 'ReplyError') return /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN)\b/.test(error.message);
  return true;
}

/** A stream entry (`['5-0', ['text', 'hi', 'time', '1764500000000']]`) as a message. */
export function toMessage([entryId, fields]: [string, string[]]): Message {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
  return { id: Number.parseInt(entryId, 10), text: values.get('text') ?? '', time: Number(values.get('time')) };
}
