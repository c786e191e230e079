/**
 * Lesson 06 — a Bayeux 1.0 server, long polling only. Clients say who they are with a
 * handshake, hold a `/meta/connect` at the server the way lesson 02's clients held a poll,
 * subscribe to channels, and publish to them; a message goes to every client whose
 * subscription matches its channel, once.
 *
 * Your task: TODOs 8 to 13, the meta handlers and the publish. Reading the batch, the
 * extensions, the routing and the HTTP at the bottom are given. `npm run verify -- 6`
 * grades your work.
 *
 * Plain node:http, as in lesson 04: a publish to thousands of subscribers answers thousands
 * of held connects, and each answer should cost little more than writing its bytes.
 *
 * @module
 */
import type http from 'node:http';
import { Engine } from './engine.ts';
import {
  BAYEUX_VERSION,
  CONNECT,
  DEFAULTS,
  DISCONNECT,
  ErrorCode,
  HANDSHAKE,
  LONG_POLLING,
  MAX_BODY_BYTES,
  SUBSCRIBE,
  UNSUBSCRIBE,
  bayeuxError,
  isChannelName,
  isChannelOrPattern,
  isMeta,
  isService,
  type Advice,
  type BayeuxMessage,
} from './protocol.ts';

/** A hook on every incoming message: return it (changed or not), or set `error` on it to refuse it. */
export interface Extension {
  incoming?(message: BayeuxMessage, context: { address: string }): BayeuxMessage;
}

export interface AppOptions {
  /** How long a `/meta/connect` is held when nothing is waiting (advice.timeout). */
  timeoutMs?: number;
  /** How long clients wait between connects (advice.interval). */
  intervalMs?: number;
  /** Extra grace before a client that stopped connecting is removed. */
  sessionMarginMs?: number;
  /** Messages kept per client between connects; the oldest are dropped first. */
  maxQueue?: number;
  /** Handshakes past these numbers of clients are refused. */
  maxClients?: number;
  maxClientsPerAddress?: number;
  /** Messages in one request; more get HTTP 413. */
  maxBatch?: number;
  /** Patterns one client may be subscribed to. */
  maxSubscriptions?: number;
  /** Hooks run on every incoming message, in order (authentication, for one). */
  extensions?: readonly Extension[];
}

/** The lesson's request handler (for `http.createServer`), with ways to end it politely. */
export type BayeuxApp = http.RequestListener & {
  /** Answers every held connect; later connects are answered at once. */
  shutdown(): void;
  /** shutdown(), then every client removed and every timer cleared. */
  close(): Promise<void>;
};

/** What handling one message gives: the reply, and for a connect, how long it may be held. */
interface Handled {
  reply: BayeuxMessage;
  connect?: { clientId: string; holdMs: number };
}

export function createApp(options: AppOptions = {}): BayeuxApp {
  const settings = { ...DEFAULTS, ...withoutUndefined(options) };
  const { timeoutMs, intervalMs, maxBatch, maxSubscriptions } = settings;
  const extensions = options.extensions ?? [];
  const engine = new Engine(settings);
  /** Sent with every handshake and connect reply: how the client goes on. */
  const advice: Advice = { reconnect: 'retry', interval: intervalMs, timeout: timeoutMs };

  /** POST /bayeux: a batch of messages, one reply each, in order. */
  async function onPost(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const messages = await readMessages(req, maxBatch);
    const address = req.socket.remoteAddress ?? 'unknown';
    const replies: BayeuxMessage[] = [];
    let connectToHold: Handled['connect'];
    for (const received of messages) {
      const handled = handle(withExtensions(received, address), address, connectToHold !== undefined);
      replies.push(handled.reply);
      connectToHold ??= handled.connect;
    }
    // No connect, or one from a client that disconnected later in the same batch: answer now.
    if (!connectToHold || !engine.has(connectToHold.clientId)) {
      sendJson(res, 200, replies);
      return;
    }
    // The request carried a connect: its whole answer waits for it. The replies are
    // serialised now; the messages for the client come after them when the connect ends.
    const parts = replies.map((reply) => JSON.stringify(reply));
    const forget = engine.connect(
      connectToHold.clientId,
      (queued) => {
        // A client that went away keeps its messages for its next connect: check the
        // connection too, which may be gone before the response hears of it.
        if (res.writableEnded || res.destroyed || !res.socket?.writable) return false;
        sendSerialised(res, 200, `[${parts.concat(queued).join(',')}]`);
        return true;
      },
      connectToHold.holdMs,
    );
    // A client that goes away is forgotten; what was waiting for it stays queued.
    res.on('close', () => {
      if (!res.writableFinished) forget();
    });
  }

  /**
   * Runs the extensions' `incoming` hooks on a message, in order. An `error` the client
   * sent itself is dropped first: only an extension may refuse a message.
   */
  function withExtensions(received: BayeuxMessage, address: string): BayeuxMessage {
    const { error: _fromClient, ...message } = received;
    let result: BayeuxMessage = message;
    for (const extension of extensions) {
      if (extension.incoming) result = extension.incoming(result, { address }) ?? { ...message, error: bayeuxError(ErrorCode.badRequest, [], 'Refused') };
    }
    return result;
  }

  /** One message of a batch: a meta message or a publish. */
  function handle(message: BayeuxMessage, address: string, connectSeen: boolean): Handled {
    const { channel } = message;
    if (typeof channel !== 'string') return { reply: refuse(message, bayeuxError(ErrorCode.badRequest, ['channel'], 'Missing required parameter')) };
    // An extension said no (a missing token, say): the message goes no further.
    if (typeof message.error === 'string') return { reply: refuse(message, message.error) };
    switch (channel) {
      case HANDSHAKE:
        return { reply: handshake(message, address) };
      case CONNECT:
        return connectSeen ? { reply: refuse(message, bayeuxError(ErrorCode.badRequest, [CONNECT], 'One connect per request')) } : connect(message);
      case SUBSCRIBE:
        return { reply: subscribe(message) };
      case UNSUBSCRIBE:
        return { reply: unsubscribe(message) };
      case DISCONNECT:
        return { reply: disconnect(message) };
      default:
        return { reply: publish(message) };
    }
  }

  /** /meta/handshake: a new client and its clientId. */
  function handshake(message: BayeuxMessage, address: string): BayeuxMessage {
    // TODO 9: supportedConnectionTypes must be an array (else 400, missing('…')) that holds
    //   LONG_POLLING (else 301, whose args are the types the client offered — at most five,
    //   each isChannelSafe). Then engine.handshake(address): undefined means too many
    //   clients (429 "Too many clients", advice { reconnect: 'none' }). Every reply says
    //   version BAYEUX_VERSION and supportedConnectionTypes [LONG_POLLING]; a successful one
    //   adds the clientId and the app's advice.
    void address;
    void advice;
    return notWrittenYet(message, 'TODO 9');
  }

  /** /meta/connect: the held poll of lesson 02, for one client. */
  function connect(message: BayeuxMessage): Handled {
    // TODO 10: an unknown (or missing) clientId gets unknownClient(message); a missing
    //   connectionType 400; one other than LONG_POLLING 301 (args: the type asked for, if
    //   isChannelSafe). A refused connect still carries { clientId }. Otherwise the reply
    //   { clientId, advice } and `connect: { clientId, holdMs: holdFor(message) }`, which
    //   tells onPost() to hand the request to engine.connect().
    void holdFor;
    return { reply: notWrittenYet(message, 'TODO 10') };
  }

  /**
   * How long to hold this connect: the server's timeout, or less when the client asks for
   * less (Faye asks for 0 when the connect shares its request with other messages, whose
   * replies would otherwise wait with it).
   */
  function holdFor(message: BayeuxMessage): number {
    const asked = message.advice?.timeout;
    return typeof asked === 'number' && asked >= 0 && asked < timeoutMs ? asked : timeoutMs;
  }

  /** /meta/subscribe: one pattern or a list of them, all or nothing. */
  function subscribe(message: BayeuxMessage): BayeuxMessage {
    // TODO 11: here and in unsubscribe(): the client must be known (unknownClient), the
    //   subscription a pattern or a list of them (subscriptionsOf; missing: 400), every
    //   pattern valid (problemWithPatterns: 405 or 403). All or nothing: check them all
    //   before engine.subscribe(). A client may hold maxSubscriptions patterns at most
    //   (403 "Too many subscriptions", no args); count only the new ones
    //   (engine.subscriptions.has), a pattern repeated in the list once.
    //   Replies carry clientId and echo the subscription as it was sent.
    void maxSubscriptions;
    return notWrittenYet(message, 'TODO 11');
  }

  /** /meta/unsubscribe: one pattern or a list of them. */
  function unsubscribe(message: BayeuxMessage): BayeuxMessage {
    // TODO 11 (continued): the same checks, then engine.unsubscribe().
    return notWrittenYet(message, 'TODO 11');
  }

  /** /meta/disconnect: the client is gone, with its subscriptions and its queue. */
  function disconnect(message: BayeuxMessage): BayeuxMessage {
    // TODO 12: a known client is removed (engine.disconnect) and the reply carries its clientId.
    return notWrittenYet(message, 'TODO 12');
  }

  /** Any other channel: a publish, to every subscriber whose pattern matches, once each. */
  function publish(message: BayeuxMessage): BayeuxMessage {
    // TODO 13: a publish needs no clientId (the server is open). /meta/… is forbidden (403);
    //   a channel that is not a plain name — a pattern included — is invalid (405); both
    //   name the channel in their args when isChannelSafe. A publish needs data (400). /service/… is acknowledged
    //   and never delivered. Anything else goes to engine.publish() as the JSON of
    //   { channel, data } (and ext when there is one) — serialised here, once, however many
    //   subscribers — and is acknowledged.
    void isService;
    return notWrittenYet(message, 'TODO 13');
  }

  /** The patterns of a (un)subscribe: a string or a non-empty list of strings; undefined when missing. */
  function subscriptionsOf(message: BayeuxMessage): string[] | undefined {
    const { subscription } = message;
    if (typeof subscription === 'string') return [subscription];
    if (Array.isArray(subscription) && subscription.length > 0 && subscription.every((s) => typeof s === 'string')) return subscription as string[];
    return undefined;
  }

  return Object.assign(
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      const { path } = splitUrl(req.url);
      if (path !== '/bayeux') sendJson(res, 404, { error: `There is no route ${path}: the Bayeux endpoint is POST /bayeux.` });
      else if (req.method !== 'POST') {
        req.resume();
        res.setHeader('allow', 'POST');
        sendJson(res, 405, { error: `${req.method} /bayeux is not offered: send POST with a JSON array of messages (callback-polling, JSONP, is not supported).` });
      } else onPost(req, res).catch((error: unknown) => sendError(res, error));
    },
    {
      shutdown: () => engine.shutdown(),
      close: async () => engine.close(),
    },
  );
}

/** The reply to `message`, successful, with `extra` fields; the request's id echoed. */
function answer(message: BayeuxMessage, extra: Partial<BayeuxMessage>): BayeuxMessage {
  return withId({ channel: message.channel, successful: true, ...extra }, message);
}

/** The reply to `message`, refused with `error` ("code:args:message"). */
function refuse(message: BayeuxMessage, error: string, extra: Partial<BayeuxMessage> = {}): BayeuxMessage {
  return withId({ channel: message.channel, successful: false, error, ...extra }, message);
}

function withId(reply: BayeuxMessage, message: BayeuxMessage): BayeuxMessage {
  // TODO 8: every reply carries the id of its message, when it had one: that is how a
  //   client matches replies to what it sent (a batch's replies, or a late one).
  void message;
  return reply;
}

/** What a handler answers until you write it. */
function notWrittenYet(message: BayeuxMessage, todo: string): BayeuxMessage {
  return refuse(message, bayeuxError(ErrorCode.badRequest, [], `Not written yet see server.ts ${todo}`));
}

/** The reply to a message from a client the server does not know: handshake again. */
function unknownClient(message: BayeuxMessage): BayeuxMessage {
  return refuse(message, bayeuxError(ErrorCode.unknownClient, [], 'Unknown client'), { advice: { reconnect: 'handshake' } });
}

function missing(parameter: string): string {
  return bayeuxError(ErrorCode.badRequest, [parameter], 'Missing required parameter');
}

/** What is wrong with a list of patterns to (un)subscribe, or undefined. */
function problemWithPatterns(patterns: readonly string[]): string | undefined {
  for (const pattern of patterns) {
    if (!isChannelOrPattern(pattern)) return bayeuxError(ErrorCode.invalidChannel, isChannelSafe(pattern) ? [pattern] : [], 'Invalid channel');
    // /meta/… belongs to the protocol and /service/… to the server: nobody subscribes to them.
    if (isMeta(pattern) || isService(pattern)) return bayeuxError(ErrorCode.forbidden, [pattern], 'Forbidden channel');
  }
  return undefined;
}

/** A value that can go into the args of an error string (no `:` or `,`, short). */
function isChannelSafe(value: string): boolean {
  return value.length <= 256 && /^[\w\-!~()$@/*. ]*$/.test(value);
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------
// Given: HTTP without a framework — reading a batch of messages, and JSON answers.

/** A request the server cannot read, with the 4xx status that says why. */
class UnreadableRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The messages of a POST: a JSON array of objects (one object alone counts as a batch of
 * one), sent as `application/json` or as the field `message` of an
 * `application/x-www-form-urlencoded` body. Anything else is an UnreadableRequest.
 */
async function readMessages(req: http.IncomingMessage, maxBatch: number): Promise<BayeuxMessage[]> {
  const [type, ...parameters] = (req.headers['content-type'] ?? '').toLowerCase().split(';').map((part) => part.trim());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new UnreadableRequest(415, 'send Content-Type: application/json (or a form field message=)');
  }
  if (charset !== undefined && charset !== 'utf-8') {
    req.resume();
    throw new UnreadableRequest(415, `the charset ${charset} is not supported; send UTF-8`);
  }
  const text = await readBody(req);
  const json = type === 'application/json' ? text : new URLSearchParams(text).get('message');
  if (json === null) throw new UnreadableRequest(400, 'the form has no field "message"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new UnreadableRequest(400, `the messages are not valid JSON (${(error as Error).message})`);
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  if (messages.length === 0) throw new UnreadableRequest(400, 'the batch is empty');
  if (!messages.every((m) => typeof m === 'object' && m !== null && !Array.isArray(m))) {
    throw new UnreadableRequest(400, 'send a JSON array of message objects');
  }
  if (messages.length > maxBatch) throw new UnreadableRequest(413, `a batch holds at most ${maxBatch} messages`);
  if (!messages.some((m: { channel?: unknown }) => typeof m.channel === 'string')) {
    throw new UnreadableRequest(400, 'no message has a "channel"');
  }
  return messages as BayeuxMessage[];
}

/** Checks that bytes are UTF-8; reused: a decoder keeps no state between whole decodes. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as UTF-8 text, at most MAX_BODY_BYTES. */
function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Read to the end even past the limit (keeping nothing more): stopping half-way would
    // leave the rest of the body in the connection, where it cannot be answered.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new UnreadableRequest(413, `the body is larger than ${MAX_BODY_BYTES / 1024} KB`));
      try {
        resolve(utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      } catch {
        reject(new UnreadableRequest(400, 'the body is not valid UTF-8'));
      }
    });
    // The client went away in the middle of its body: nobody is left to answer.
    req.on('error', () => reject(new UnreadableRequest(400, 'the body was cut off')));
    req.on('aborted', () => reject(new UnreadableRequest(400, 'the body was cut off')));
  });
}

/** Answers with `body` as JSON, unless the client is gone. */
function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  sendSerialised(res, status, JSON.stringify(body));
}

/**
 * Answers with JSON text already serialised. A string, not bytes: Node then sends the
 * headers and the body in one write to the socket, not two.
 */
function sendSerialised(res: http.ServerResponse, status: number, json: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'cache-control': 'no-store' });
  res.end(json);
}

/** Answers an error: 4xx with what was wrong with the request, 500 for anything else. */
function sendError(res: http.ServerResponse, error: unknown): void {
  if (error instanceof UnreadableRequest) sendJson(res, error.status, { error: `The request could not be read: ${error.message}.` });
  else {
    // The client learns only that the server failed: log the real error, with its stack.
    console.error(error);
    sendJson(res, 500, { error: 'The server failed.' });
  }
}

/** The path and the query string of a request's URL. */
function splitUrl(url = '/'): { path: string; query: string } {
  const mark = url.indexOf('?');
  return mark < 0 ? { path: url, query: '' } : { path: url.slice(0, mark), query: url.slice(mark + 1) };
}
