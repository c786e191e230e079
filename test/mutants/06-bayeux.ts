/**
 * Lesson 06's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import type { Mutant } from '../../shared/grading/types.ts';

const starPattern = "  const patterns = [channel, `/${[...segments.slice(0, -1), '*'].join('/')}`];";
const collect = '      for (const clientId of this.#byPattern.get(pattern) ?? []) found.add(clientId);';
const holdOrAnswer = '    if (session.queue.length > 0 || holdMs <= 0 || this.#shuttingDown) {';
const dropOldest = '      if (session.queue.length > this.#options.maxQueue) session.queue.shift();\n';
const serviceCheck = '    if (!isService(channel)) {';
const expiryDelay = '    session.expiry = setTimeout(() => this.disconnect(session.id), timeoutMs + intervalMs + sessionMarginMs);';
const echo = '  if (message.id !== undefined) reply.id = message.id;\n';

export const mutants: readonly Mutant[] = [
  {
    id: 'star-matches-any-depth',
    mistake: 'lets * match any number of segments, like **',
    caughtBy: 'wildcards',
    edits: [
      {
        file: 'channels.ts',
        find: starPattern,
        replace: "  const patterns = [channel, ...segments.map((_, kept) => `/${[...segments.slice(0, kept), '*'].join('/')}`)];",
      },
    ],
  },
  {
    id: 'double-star-needs-two',
    mistake: 'expands ** only after the non-empty prefixes, so /** matches nothing',
    caughtBy: 'expand',
    edits: [{ file: 'channels.ts', find: '  for (let kept = 0; kept < segments.length; kept++) {', replace: '  for (let kept = 1; kept < segments.length; kept++) {' }],
  },
  {
    id: 'delivers-twice',
    mistake: 'collects recipients in a list, so a client with two matching subscriptions gets the message twice',
    caughtBy: 'once-per-client',
    edits: [
      { file: 'channels.ts', find: '  recipients(channel: string): Set<string> {\n    const found = new Set<string>();', replace: '  recipients(channel: string): string[] {\n    const found: string[] = [];' },
      { file: 'channels.ts', find: collect, replace: '      for (const clientId of this.#byPattern.get(pattern) ?? []) found.push(clientId);' },
    ],
  },
  {
    id: 'forget-keeps-patterns',
    mistake: 'forget() drops the client\'s own index but leaves it under every pattern',
    caughtBy: 'subscriptions-class',
    edits: [{ file: 'channels.ts', find: '    for (const pattern of this.#byClient.get(clientId) ?? []) removeFrom(this.#byPattern, pattern, clientId);\n', replace: '' }],
  },
  {
    id: 'never-holds',
    mistake: 'answers every connect at once, as in lesson 01\'s polling',
    caughtBy: 'connect-held',
    edits: [{ file: 'engine.ts', find: holdOrAnswer, replace: '    if (true) {' }],
  },
  {
    id: 'holds-with-queue',
    mistake: 'holds a connect even when messages are waiting for its client',
    caughtBy: 'connect-at-once-when-queued',
    edits: [{ file: 'engine.ts', find: holdOrAnswer, replace: '    if (holdMs <= 0 || this.#shuttingDown) {' }],
  },
  {
    id: 'older-connect-left',
    mistake: 'holds a newer connect without answering the older one from the same client',
    caughtBy: 'older-connect-answered',
    edits: [{ file: 'engine.ts', find: '    if (session.held) this.#answerHeld(session, []);\n', replace: '' }],
  },
  {
    id: 'no-timeout',
    mistake: 'holds a connect with no timer, until a message comes',
    caughtBy: 'connect-timeout',
    edits: [{ file: 'engine.ts', find: 'timer: setTimeout(() => this.#answerHeld(session, session.queue), holdMs) };', replace: 'timer: setTimeout(() => undefined, holdMs) };' }],
  },
  {
    id: 'wakes-stale-clients',
    mistake: 'never empties the set of clients to wake, so a later publish answers connects that have nothing new',
    caughtBy: 'publish-wakes-only-recipients',
    edits: [{ file: 'engine.ts', find: '    this.#toWake.clear();\n', replace: '' }],
  },
  {
    id: 'forget-keeps-timer',
    mistake: 'forgets an abandoned connect without clearing its timer',
    caughtBy: 'abandoned-connect',
    edits: [{ file: 'engine.ts', find: '      if (session.held !== held) return;\n      clearTimeout(held.timer);\n', replace: '      if (session.held !== held) return;\n' }],
  },
  {
    id: 'forget-without-expiry',
    mistake: 'forgets an abandoned connect without starting the expiry again, so a client that left never goes',
    caughtBy: 'abandoned-connect',
    edits: [{ file: 'engine.ts', find: '      session.held = undefined;\n      this.#startExpiry(session);\n    };', replace: '      session.held = undefined;\n    };' }],
  },
  {
    id: 'disconnect-keeps-address',
    mistake: 'does not count an address down when its client leaves, so its places are never freed',
    caughtBy: 'too-many-clients',
    edits: [{ file: 'engine.ts', find: '    if (left > 0) this.#perAddress.set(session.address, left);\n    else this.#perAddress.delete(session.address);\n', replace: '' }],
  },
  {
    id: 'disconnect-keeps-subscriptions',
    mistake: 'removes a client but not its subscriptions',
    caughtBy: 'disconnect',
    edits: [{ file: 'engine.ts', find: '    this.subscriptions.forget(clientId);\n', replace: '' }],
  },
  {
    id: 'unbounded-queue',
    mistake: 'keeps every message for a client that does not connect',
    caughtBy: 'queue-bound',
    edits: [{ file: 'engine.ts', find: dropOldest, replace: '' }],
  },
  {
    id: 'drops-newest',
    mistake: 'drops the newest message instead of the oldest when the queue is full',
    caughtBy: 'queue-bound',
    edits: [{ file: 'engine.ts', find: dropOldest, replace: '      if (session.queue.length > this.#options.maxQueue) session.queue.pop();\n' }],
  },
  {
    id: 'never-expires',
    mistake: 'never removes a client that stopped connecting',
    caughtBy: 'session-expiry',
    edits: [{ file: 'engine.ts', find: expiryDelay, replace: '    session.expiry = undefined;' }],
  },
  {
    id: 'expiry-without-interval',
    mistake: 'removes a silent client after timeoutMs + sessionMarginMs, forgetting intervalMs',
    caughtBy: 'session-expiry',
    edits: [{ file: 'engine.ts', find: expiryDelay, replace: '    session.expiry = setTimeout(() => this.disconnect(session.id), timeoutMs + sessionMarginMs + 0 * intervalMs);' }],
  },
  {
    id: 'expiry-not-restarted',
    mistake: 'starts the expiry at the handshake only, so a client that connected once and went silent stays for ever',
    caughtBy: 'session-expiry',
    edits: [{ file: 'engine.ts', find: '    if (sent && messages === session.queue) session.queue = [];\n    this.#startExpiry(session);', replace: '    if (sent && messages === session.queue) session.queue = [];' }],
  },
  {
    id: 'counter-client-id',
    mistake: 'numbers the clients 1, 2, 3 instead of giving them random clientIds',
    caughtBy: 'handshake',
    edits: [{ file: 'engine.ts', find: "    const id = randomBytes(16).toString('base64url');", replace: '    const id = String(this.#sessions.size + 1 + this.#perAddress.size * 0);' }],
  },
  {
    id: 'short-client-id',
    mistake: 'uses 8 random bytes (64 bits) for the clientId',
    caughtBy: 'handshake',
    edits: [{ file: 'engine.ts', find: 'randomBytes(16)', replace: 'randomBytes(8)' }],
  },
  {
    id: 'no-client-limit',
    mistake: 'accepts every handshake, however many clients there are',
    caughtBy: 'too-many-clients',
    edits: [{ file: 'engine.ts', find: '    if (this.#sessions.size >= this.#options.maxClients || fromAddress >= this.#options.maxClientsPerAddress) return undefined;\n', replace: '' }],
  },
  {
    id: 'no-id-echo',
    mistake: 'does not copy the message id into its reply',
    caughtBy: 'id-echo',
    edits: [{ file: 'server.ts', find: echo, replace: '' }],
  },
  {
    id: 'falsy-id-dropped',
    mistake: 'echoes the id only when it is truthy, so a message with "id": 0 gets a reply without one',
    caughtBy: 'id-echo',
    edits: [{ file: 'server.ts', find: echo, replace: '  if (message.id) reply.id = message.id;\n' }],
  },
  {
    id: 'meta-channel-in-args',
    mistake: 'names any /meta channel in the 403 args, even one with a ":" that breaks the code:args:message form',
    caughtBy: 'forbidden-channels',
    edits: [{ file: 'server.ts', find: "bayeuxError(ErrorCode.forbidden, isChannelSafe(channel) ? [channel] : [], 'Forbidden channel')", replace: "bayeuxError(ErrorCode.forbidden, [channel], 'Forbidden channel')" }],
  },
  {
    id: 'string-id-echo',
    mistake: 'echoes the id only when it is a string, so numeric ids are lost',
    caughtBy: 'id-echo',
    edits: [{ file: 'server.ts', find: echo, replace: "  if (typeof message.id === 'string') reply.id = message.id;\n" }],
  },
  {
    id: 'service-broadcast',
    mistake: 'delivers /service/… messages like any other',
    caughtBy: 'service-not-broadcast',
    edits: [{ file: 'server.ts', find: serviceCheck, replace: '    if (true) {' }],
  },
  {
    id: 'unknown-client-401',
    mistake: 'answers an unknown client with 401 (Faye\'s own code) instead of 402',
    caughtBy: 'unknown-client',
    edits: [{ file: 'server.ts', find: "bayeuxError(ErrorCode.unknownClient, [], 'Unknown client')", replace: "bayeuxError(401, [], 'Unknown client')" }],
  },
  {
    id: 'unknown-client-no-advice',
    mistake: 'answers an unknown client without advice { reconnect: "handshake" }, so Faye never handshakes again',
    caughtBy: 'unknown-client',
    edits: [{ file: 'server.ts', find: ", { advice: { reconnect: 'handshake' } });", replace: ');' }],
  },
  {
    id: 'subscribe-first-only',
    mistake: 'subscribes to the first channel of a list only',
    caughtBy: 'subscribe-list',
    edits: [{ file: 'server.ts', find: '    engine.subscribe(clientId, patterns);', replace: '    engine.subscribe(clientId, patterns.slice(0, 1));' }],
  },
  {
    id: 'counts-known-subscriptions',
    mistake: 'counts every pattern of a subscribe against the limit, also those the client has already',
    caughtBy: 'defaults',
    edits: [{ file: 'server.ts', find: '    const fresh = new Set(patterns.filter((p) => !engine.subscriptions.has(clientId, p)));', replace: '    const fresh = new Set(patterns);' }],
  },
  {
    id: 'subscribes-before-checking',
    mistake: 'subscribes to each pattern of a list while checking them, so a refused list leaves some subscribed',
    caughtBy: 'forbidden-channels',
    edits: [
      {
        file: 'server.ts',
        find: "    const problem = patterns === undefined ? missing('subscription') : problemWithPatterns(patterns);\n    if (problem) return { reply:",
        replace: "    if (patterns && message.channel === '/meta/subscribe') engine.subscribe(clientId, patterns.filter((p) => !isMeta(p) && !isService(p) && isChannelOrPattern(p)));\n    const problem = patterns === undefined ? missing('subscription') : problemWithPatterns(patterns);\n    if (problem) return { reply:",
      },
    ],
  },
  {
    id: 'ignores-client-advice',
    mistake: 'holds every connect for timeoutMs, whatever timeout the client asks for',
    caughtBy: 'connect-timeout',
    edits: [{ file: 'server.ts', find: '    return typeof asked === \'number\' && asked >= 0 && asked < timeoutMs ? asked : timeoutMs;', replace: '    return asked === 0 ? 0 : timeoutMs;' }],
  },
  {
    id: 'client-advice-unbounded',
    mistake: 'holds a connect as long as the client asks, beyond timeoutMs',
    caughtBy: 'connect-timeout',
    edits: [{ file: 'server.ts', find: '    return typeof asked === \'number\' && asked >= 0 && asked < timeoutMs ? asked : timeoutMs;', replace: "    return typeof asked === 'number' && asked >= 0 ? asked : timeoutMs;" }],
  },
  {
    id: 'fixed-batch-limit',
    mistake: 'limits a batch to 100 messages whatever maxBatch says',
    caughtBy: 'bad-requests',
    edits: [{ file: 'server.ts', find: '    const messages = await readMessages(req, maxBatch);', replace: '    const messages = await readMessages(req, 100 + 0 * maxBatch);' }],
  },
  {
    id: 'publish-to-wildcard',
    mistake: 'accepts a publish to a wildcard pattern',
    caughtBy: 'invalid-channels',
    edits: [{ file: 'server.ts', find: '    if (!isChannelName(channel)) return refuse(', replace: '    if (!isChannelOrPattern(channel)) return refuse(' }],
  },
  {
    id: 'subscribe-service',
    mistake: 'lets clients subscribe to /meta/… and /service/…',
    caughtBy: 'forbidden-channels',
    edits: [{ file: 'server.ts', find: '    if (isMeta(pattern) || isService(pattern)) return', replace: '    if (false) return' }],
  },
  {
    id: 'publish-without-data',
    mistake: 'accepts a publish without data',
    caughtBy: 'missing-parameters',
    edits: [{ file: 'server.ts', find: "    if (message.data === undefined) return refuse(message, missing('data'));\n", replace: '' }],
  },
  {
    id: 'forwards-publisher-fields',
    mistake: 'delivers the whole published message, with the publisher\'s id and clientId',
    caughtBy: 'publish-delivery',
    edits: [{ file: 'server.ts', find: '      const delivered: BayeuxMessage = { channel, data: message.data };', replace: '      const delivered: BayeuxMessage = { ...message };' }],
  },
  {
    id: 'advice-in-seconds',
    mistake: 'sends advice.timeout in seconds',
    caughtBy: 'handshake',
    edits: [{ file: 'server.ts', find: "  const advice: Advice = { reconnect: 'retry', interval: intervalMs, timeout: timeoutMs };", replace: "  const advice: Advice = { reconnect: 'retry', interval: intervalMs, timeout: timeoutMs / 1000 };" }],
  },
  {
    id: 'no-connection-type-check',
    mistake: 'accepts a handshake that does not offer long-polling',
    caughtBy: 'handshake-connection-types',
    edits: [{ file: 'server.ts', find: '    if (!types.includes(LONG_POLLING)) return', replace: '    if (false) return' }],
  },
  {
    id: 'shared-engine',
    mistake: 'keeps the sessions at the top of engine.ts, so every app shares them',
    caughtBy: 'apps-are-separate',
    edits: [
      { file: 'engine.ts', find: '  readonly #sessions = new Map<string, Session>();\n', replace: '  readonly #sessions = everySession;\n' },
      { file: 'engine.ts', find: 'export class Engine {', replace: 'const everySession = new Map<string, Session>();\n\nexport class Engine {' },
    ],
  },
  {
    id: 'disconnect-leaves-connect',
    mistake: 'removes a disconnecting client without answering its held connect',
    caughtBy: 'disconnect',
    edits: [{ file: 'engine.ts', find: '      session.held.answer([]);\n', replace: '' }],
  },
  {
    id: 'shutdown-ignores-held',
    mistake: 'shutdown() leaves the held connects waiting',
    caughtBy: 'shutdown-and-timers',
    edits: [{ file: 'engine.ts', find: '    for (const session of this.#sessions.values()) if (session.held) this.#answerHeld(session, session.queue);\n  }', replace: '  }' }],
  },
  {
    id: 'close-leaves-timers',
    mistake: 'close() answers the connects but leaves every client and its expiry timer',
    caughtBy: 'shutdown-and-timers',
    edits: [{ file: 'engine.ts', find: '    for (const clientId of [...this.#sessions.keys()]) this.disconnect(clientId);\n', replace: '' }],
  },
  {
    id: 'no-form',
    mistake: 'reads only JSON bodies, not the form field message=',
    caughtBy: 'form-urlencoded',
    edits: [{ file: 'server.ts', find: "  const json = type === 'application/json' ? text : new URLSearchParams(text).get('message');", replace: '  const json = text;' }],
  },
  {
    id: 'no-default-margin',
    mistake: 'gives sessionMarginMs a default of 0',
    caughtBy: 'defaults',
    edits: [{ file: 'protocol.ts', find: '  sessionMarginMs: 10_000,', replace: '  sessionMarginMs: 0,' }],
  },
];
