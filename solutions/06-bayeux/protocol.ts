/**
 * Lesson 06's contract: Bayeux 1.0 over long polling, as far as this server speaks it.
 * Nothing to change here; read it once before you start.
 *
 * Every request is `POST /bayeux` with a JSON array of messages (or a form field
 * `message=` holding that array). Every answer is `200` and a JSON array: one reply per
 * message, in order, and — when the request held a `/meta/connect` — the messages that
 * were waiting for that client after them.
 *
 * @module
 */

/** A Bayeux message, as clients send it and as the server sends it back. */
export interface BayeuxMessage {
  channel: string;
  /** Echoed back in the reply to this message, so a client can match the two. */
  id?: unknown;
  clientId?: string;
  /** What is published. Any JSON value; a publish must have one. */
  data?: unknown;
  /** Free room for extensions (an auth token, say); passed through untouched. */
  ext?: unknown;
  successful?: boolean;
  /** `"code:args:message"`, see {@link bayeuxError}. */
  error?: string;
  advice?: Advice;
  version?: string;
  supportedConnectionTypes?: unknown;
  connectionType?: unknown;
  subscription?: unknown;
}

/** What the server tells a client to do next (lesson 03's reconnect rules, as data). */
export interface Advice {
  /** `retry`: connect again; `handshake`: start over with a new handshake; `none`: give up. */
  reconnect?: 'retry' | 'handshake' | 'none';
  /** Milliseconds to wait between the answer to one `/meta/connect` and the next. */
  interval?: number;
  /** Milliseconds the server holds a `/meta/connect` when nothing is waiting. */
  timeout?: number;
}

export const HANDSHAKE = '/meta/handshake';
export const CONNECT = '/meta/connect';
export const SUBSCRIBE = '/meta/subscribe';
export const UNSUBSCRIBE = '/meta/unsubscribe';
export const DISCONNECT = '/meta/disconnect';

export const BAYEUX_VERSION = '1.0';
/** The one connection type this server offers (no callback-polling: see the lesson text). */
export const LONG_POLLING = 'long-polling';

/** Bayeux error codes, as CometD and the Bayeux 1.0 text use them. */
export const ErrorCode = {
  /** The client offers no connection type this server has. */
  connectionType: 301,
  /** Something is missing or malformed. */
  badRequest: 400,
  /** No such client (never handshaken, expired, or the server restarted): handshake again. */
  unknownClient: 402,
  /** A channel this client may not use that way (`/meta/…`, `/service/…` for subscribing). */
  forbidden: 403,
  /** Not a channel name (or a pattern where only a name will do). */
  invalidChannel: 405,
  /** The server has as many clients as it takes. */
  tooManyClients: 429,
} as const;

/**
 * A Bayeux error string: `"code:args:message"`, e.g. `"405:/a b:Invalid channel"`. The
 * arguments (what the error is about) are separated by commas and may be empty:
 * `"402::Unknown client"`.
 */
export function bayeuxError(code: number, args: readonly string[], message: string): string {
  return `${code}:${args.join(',')}:${message}`;
}

/** One segment of a channel name: letters, digits and `- _ ! ~ ( ) $ @` (Faye's grammar). */
const SEGMENT = "[A-Za-z0-9\\-_!~()$@]+";
/** A channel name: `/chat`, `/chat/room-1`. */
const CHANNEL_NAME = new RegExp(`^(?:/${SEGMENT})+$`);
/** A pattern: a name whose last segment is `*` (one segment) or `**` (any depth): `/chat/*`, `/**`. */
const CHANNEL_PATTERN = new RegExp(`^(?:/${SEGMENT})*/\\*{1,2}$`);

/** The longest channel name or pattern the server accepts, in characters. */
export const MAX_CHANNEL_LENGTH = 256;

/** True for a channel name one can publish to: `/a/b`, not `/a/*`. */
export function isChannelName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CHANNEL_LENGTH && CHANNEL_NAME.test(value);
}

/** True for a name or a wildcard pattern: what one can subscribe to. */
export function isChannelOrPattern(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CHANNEL_LENGTH && (CHANNEL_NAME.test(value) || CHANNEL_PATTERN.test(value));
}

/** `/meta/…`: the protocol's own channels, handled by the server, never published to. */
export function isMeta(channel: string): boolean {
  return channel === '/meta' || channel.startsWith('/meta/');
}

/** `/service/…`: messages for the server alone, acknowledged and never broadcast. */
export function isService(channel: string): boolean {
  return channel === '/service' || channel.startsWith('/service/');
}

/** The server's defaults, as the lesson text states them. */
export const DEFAULTS = {
  /** How long a `/meta/connect` is held: under proxies' ~30 s idle limits (lesson 03). */
  timeoutMs: 25_000,
  /** How long a client waits between two connects. */
  intervalMs: 0,
  /** Extra time before a client that stopped connecting is removed. */
  sessionMarginMs: 10_000,
  /** Messages kept for a client between two connects; the oldest go first. */
  maxQueue: 1000,
  maxClients: 20_000,
  maxClientsPerAddress: 1000,
  /** Messages in one request. */
  maxBatch: 100,
  /** Patterns one client may subscribe to at once. */
  maxSubscriptions: 1000,
} as const;

/** The largest request body, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;
