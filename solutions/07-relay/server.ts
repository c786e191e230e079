/**
 * Lesson 07 — the relay: the public place where queries wait for an agent that nobody can
 * reach (seed 002's 寄存中心, "where things are left to be collected").
 *
 * Two held requests meet here. The agent holds `GET /agents/:name/work` until there is a
 * query for it (lesson 02, with the roles turned around: the one waiting is the server side,
 * waiting for work). The caller holds `POST /agents/:name/queries` until the agent's answer
 * comes back, matched to it by a random correlation id.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import {
  AGENT_NAME,
  CORRELATION_ID,
  DEFAULT_DEADLINE_MS,
  DEFAULT_HOLD_MS,
  DEFAULT_KEEP_ANSWERS_MS,
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_KEPT_ANSWERS,
  DEFAULT_MAX_PARAMS_BYTES,
  DEFAULT_MAX_PENDING,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_OFFLINE_AFTER_MS,
  DEMO_AGENT,
  DEMO_AGENT_SECRET,
  DEMO_CALLER_KEY,
  IDEMPOTENCY_KEY,
  MAX_QUERY_NAME_LENGTH,
  MAX_WAITERS_PER_QUERY,
  type AgentConfig,
  type LoginAnswer,
  type RelayEvent,
  type WorkAnswer,
  type WorkItem,
} from './protocol.ts';
import { hashKey, hashSecret, newCorrelationId, newToken, verifySecret } from './secrets.ts';

export interface RelayOptions {
  agents?: readonly AgentConfig[];
  /** Adds the workshop's demo agent (protocol.ts: DEMO_AGENT, its secret and a caller key). */
  demo?: boolean;
  holdMs?: number;
  deadlineMs?: number;
  offlineAfterMs?: number;
  maxPending?: number;
  maxBatch?: number;
  keepAnswersMs?: number;
  maxKeptAnswers?: number;
  maxParamsBytes?: number;
  maxResultBytes?: number;
  onEvent?: (event: RelayEvent) => void;
}

export type RelayApp = express.Express & {
  /** Answers every held poll and every waiting caller 503, and every later request too. */
  shutdown(): void;
  /** shutdown(), and every timer cleared. */
  close(): Promise<void>;
};

/** What the caller finally gets: a status and a JSON body. */
interface Reply {
  status: number;
  body: unknown;
}

/** A caller's held request. */
interface Waiter {
  res: Response;
  deadline: NodeJS.Timeout;
}

/** A query between its arrival and its answer. */
interface Pending {
  item: WorkItem;
  agent: AgentState;
  state: 'queued' | 'delivered' | 'done';
  /** The session it was delivered to: only that one may answer it. */
  session?: Session;
  waiters: Set<Waiter>;
  /** For a request with an Idempotency-Key: where its answer is kept. */
  keyed?: Keyed;
}

/** What the relay remembers for one Idempotency-Key. */
interface Keyed {
  scope: string;
  fingerprint: string;
  pending?: Pending;
  answer?: Reply;
  keptUntil?: number;
}

/** One login of an agent. */
interface Session {
  tokenHash: string;
  held?: HeldPoll;
  /** Delivered to this session and not answered yet. */
  delivered: Set<Pending>;
  offlineTimer?: NodeJS.Timeout;
}

interface HeldPoll {
  res: Response;
  max: number;
  timer: NodeJS.Timeout;
}

interface AgentState {
  name: string;
  secretHash: string;
  callerKeyHashes: Set<string>;
  session?: Session;
  queue: Pending[];
  keyed: Map<string, Keyed>;
}

/** What is remembered of a finished request, to say why a late answer is refused. */
interface Finished {
  agent: AgentState;
  session?: Session;
  answered: boolean;
}

/** Finished requests remembered, across all agents; the oldest are forgotten first. */
const MAX_FINISHED = 10_000;

export async function createApp(options: RelayOptions = {}): Promise<RelayApp> {
  const {
    holdMs = DEFAULT_HOLD_MS,
    deadlineMs = DEFAULT_DEADLINE_MS,
    offlineAfterMs = DEFAULT_OFFLINE_AFTER_MS,
    maxPending = DEFAULT_MAX_PENDING,
    maxBatch = DEFAULT_MAX_BATCH,
    keepAnswersMs = DEFAULT_KEEP_ANSWERS_MS,
    maxKeptAnswers = DEFAULT_MAX_KEPT_ANSWERS,
    maxParamsBytes = DEFAULT_MAX_PARAMS_BYTES,
    maxResultBytes = DEFAULT_MAX_RESULT_BYTES,
    onEvent,
  } = options;
  const agents = await agentsFrom(options);
  /** Every request queued or delivered, by correlation id. */
  const pendingById = new Map<string, Pending>();
  const finished = new Map<string, Finished>();
  let shuttingDown = false;

  const emit = (agent: AgentState, kind: string, extra: Partial<RelayEvent> = {}): void => {
    onEvent?.({ at: Date.now(), lane: 'relay', agent: agent.name, kind, ...extra });
  };

  // ---- who is asking ---------------------------------------------------------------

  /** The agent named in the path, or a 404 answered. */
  function agentOf(req: Request, res: Response): AgentState | undefined {
    const agent = agents.get(String(req.params.name));
    if (!agent) refuse(res, 404, `There is no agent named ${JSON.stringify(req.params.name)} at this relay.`);
    return agent;
  }

  /** The current session of the agent whose token this is, or a 401 answered. */
  function sessionOf(req: Request, res: Response, agent: AgentState): Session | undefined {
    const token = bearer(req);
    const session = agent.session;
    if (token !== undefined && session && hashKey(token) === session.tokenHash) return session;
    refuse(res, 401, `Log in first: send "Authorization: Bearer <token>" with the token POST /agents/${agent.name}/login gave you (a newer login, or the agent going offline, ends a token).`);
    return undefined;
  }

  /** True when the caller's API key may query this agent; otherwise a 401 or 403 answered. */
  function callerAllowed(req: Request, res: Response, agent: AgentState): string | undefined {
    const key = bearer(req);
    if (key === undefined) {
      refuse(res, 401, 'Send your API key as "Authorization: Bearer <key>".');
      return undefined;
    }
    const keyHash = hashKey(key);
    if (agent.callerKeyHashes.has(keyHash)) return keyHash;
    refuse(res, 403, `This API key may not query the agent ${agent.name}.`);
    return undefined;
  }

  // ---- the agent's side ------------------------------------------------------------

  async function onLogin(req: Request, res: Response): Promise<void> {
    const agent = agentOf(req, res);
    if (!agent) return;
    const secret = (req.body as { secret?: unknown } | undefined)?.secret;
    // The secret is checked against its scrypt hash: the relay never stored the secret.
    if (typeof secret !== 'string' || !(await verifySecret(secret, agent.secretHash))) {
      refuse(res, 401, `Wrong secret for the agent ${agent.name}: send {"secret": "…"} as JSON.`);
      return;
    }
    if (agent.session) endSession(agent, agent.session, 'replaced');
    const token = newToken();
    const session: Session = { tokenHash: hashKey(token), delivered: new Set() };
    agent.session = session;
    // Logged in counts as online until the first poll, which follows at once.
    startOfflineTimer(agent, session);
    emit(agent, 'login');
    res.json({ token, holdMs, offlineAfterMs, maxBatch } satisfies LoginAnswer);
  }

  function onWork(req: Request, res: Response): void {
    const agent = agentOf(req, res);
    if (!agent) return;
    const session = sessionOf(req, res, agent);
    if (!session) return;
    const max = parseMax(req.query.max, maxBatch);
    if (max === undefined) return refuse(res, 400, `"max" must be a whole number from 1 to ${maxBatch}: how many queries one answer may carry.`);
    if (shuttingDown) return refuse(res, 503, 'The relay is shutting down; log in again in a moment.');
    noStore(res);
    // A newer poll replaces an older one of the same session, which ends with nothing.
    if (session.held) answerPoll(agent, session, { status: 'timeout' });
    if (agent.queue.length > 0) {
      const answer = deliver(agent, session, max);
      emit(agent, 'poll-answered', { count: answer.requests.length });
      res.json(answer);
      startOfflineTimer(agent, session);
      return;
    }
    hold(agent, session, res, max);
  }

  /** Keeps the agent's poll until a query comes, or holdMs passes ("timeout, please reconnect"). */
  function hold(agent: AgentState, session: Session, res: Response, max: number): void {
    // While a poll is held the agent is online: stop counting towards offline. (Answering an
    // older poll of the session just started the count; this poll ends it.)
    clearTimeout(session.offlineTimer);
    const held: HeldPoll = { res, max, timer: setTimeout(() => answerPoll(agent, session, { status: 'timeout' }), holdMs) };
    session.held = held;
    emit(agent, 'poll-held');
    res.on('close', () => {
      // The agent went away (killed, network gone): forget its poll, and start counting.
      if (res.writableFinished || session.held !== held) return;
      clearTimeout(held.timer);
      session.held = undefined;
      startOfflineTimer(agent, session);
    });
  }

  /** Answers the session's held poll, and starts counting towards offline until the next one. */
  function answerPoll(agent: AgentState, session: Session, answer: WorkAnswer): void {
    const held = session.held;
    if (!held) return;
    clearTimeout(held.timer);
    session.held = undefined;
    emit(agent, answer.status === 'work' ? 'poll-answered' : 'poll-timeout', answer.status === 'work' ? { count: answer.requests.length } : {});
    held.res.json(answer);
    startOfflineTimer(agent, session);
  }

  /** Takes up to `max` queued requests, oldest first: they now belong to this session. */
  function deliver(agent: AgentState, session: Session, max: number): Extract<WorkAnswer, { status: 'work' }> {
    const taken = agent.queue.splice(0, max);
    for (const pending of taken) {
      pending.state = 'delivered';
      pending.session = session;
      session.delivered.add(pending);
    }
    return { status: 'work', requests: taken.map((pending) => pending.item) };
  }

  function startOfflineTimer(agent: AgentState, session: Session): void {
    clearTimeout(session.offlineTimer);
    if (agent.session !== session) return;
    session.offlineTimer = setTimeout(() => endSession(agent, session, 'offline'), offlineAfterMs);
  }

  /**
   * The session ends: the agent went offline, or logged in again. What was delivered to it
   * may or may not have run: 502, and never delivered again (at most once). What is still
   * queued certainly did not run: after a new login it waits for the new session; when the
   * agent is offline its callers get 503 at once.
   */
  function endSession(agent: AgentState, session: Session, why: 'offline' | 'replaced'): void {
    if (agent.session !== session) return;
    agent.session = undefined;
    clearTimeout(session.offlineTimer);
    if (session.held) {
      clearTimeout(session.held.timer);
      refuse(session.held.res, 401, why === 'replaced' ? 'A newer login of this agent replaced this session: log in again.' : 'This session ended (the agent was offline for longer than offlineAfterMs): log in again.');
      session.held = undefined;
    }
    const lost = why === 'offline' ? 'The agent went offline before answering' : 'The agent logged in again before answering';
    for (const pending of [...session.delivered]) finish(pending, { status: 502, body: { error: `${lost}; the query may or may not have run.` } });
    if (why === 'offline') {
      for (const pending of agent.queue.splice(0)) finish(pending, { status: 503, body: { error: 'The agent went offline before it took the query; it did not run. Try again later.' } }, false);
      emit(agent, 'agent-offline');
    }
  }

  function onAnswers(req: Request, res: Response): void {
    const agent = agentOf(req, res);
    if (!agent) return;
    const session = sessionOf(req, res, agent);
    if (!session) return;
    const answers = (req.body as { answers?: unknown } | undefined)?.answers;
    if (!Array.isArray(answers) || answers.length === 0 || answers.length > maxBatch) {
      return refuse(res, 400, `Send {"answers": [{"id", "status", "result" or "error"}, …]} with 1 to ${maxBatch} answers.`);
    }
    const accepted: string[] = [];
    const refused: Array<{ id: unknown; status: number; error: string }> = [];
    for (const answer of answers) {
      const problem = acceptAnswer(agent, session, answer);
      if (problem) refused.push({ id: (answer as { id?: unknown } | null)?.id, ...problem });
      else accepted.push((answer as { id: string }).id);
    }
    const first = refused[0];
    if (!first) res.json({ accepted });
    else res.status(first.status).json({ error: first.error, accepted, refused });
  }

  /** Takes one answer, or says why not (status and sentence). */
  function acceptAnswer(agent: AgentState, session: Session, raw: unknown): { status: number; error: string } | undefined {
    const reply = replyFromAnswer(raw, maxResultBytes);
    if ('error' in reply) return reply;
    const { id } = raw as { id: string };
    const pending = pendingById.get(id);
    const owner = pending ? { agent: pending.agent, session: pending.session, done: false } : finishedOwner(id);
    if (!owner) return { status: 404, error: `No request has the id ${id} (or it was forgotten long ago).` };
    // Only the session the request was delivered to may answer it.
    if (owner.agent !== agent || owner.session !== session) return { status: 403, error: `The request ${id} was not delivered to this agent's session: it may not answer it.` };
    if (owner.done || !pending) {
      const answered = finished.get(id)?.answered;
      return answered ? { status: 409, error: `The request ${id} was already answered: an answer counts once.` } : { status: 410, error: `The caller of ${id} stopped waiting (its deadline passed, or it went away): the answer has nobody to go to.` };
    }
    finish(pending, reply.reply);
    return undefined;
  }

  function finishedOwner(id: string): { agent: AgentState; session?: Session; done: true } | undefined {
    const done = finished.get(id);
    return done ? { agent: done.agent, session: done.session, done: true } : undefined;
  }

  // ---- the caller's side -----------------------------------------------------------

  function onQuery(req: Request, res: Response): void {
    const agent = agentOf(req, res);
    if (!agent) return;
    const keyHash = callerAllowed(req, res, agent);
    if (!keyHash) return;
    const problem = problemWithQuery(req.body, maxParamsBytes);
    if (problem) return refuse(res, problem.status, problem.error);
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      return refuse(res, 400, 'The Idempotency-Key header must be 1 to 100 visible ASCII characters (a UUID is a good one).');
    }
    if (shuttingDown) return refuse(res, 503, 'The relay is shutting down; try again in a moment.');
    const { query, params = {} } = req.body as { query: string; params?: Record<string, unknown> };
    noStore(res);
    if (idempotencyKey !== undefined) {
      const scope = `${keyHash}\n${idempotencyKey}`;
      const fingerprint = JSON.stringify([query, params]);
      const keyed = keptFor(agent, scope);
      if (keyed && keyed.fingerprint !== fingerprint) return refuse(res, 422, 'This Idempotency-Key was used for another query or other params: use a new key for a new request.');
      // A retry gets the first request's answer, or waits for it: never a second execution.
      if (keyed?.answer) return void res.status(keyed.answer.status).json(keyed.answer.body);
      if (keyed?.pending) return wait(keyed.pending, res);
      return queue(agent, res, { query, params, idempotencyKey }, { scope, fingerprint });
    }
    queue(agent, res, { query, params });
  }

  function queue(agent: AgentState, res: Response, request: { query: string; params: Record<string, unknown>; idempotencyKey?: string }, keyed?: Omit<Keyed, 'pending'>): void {
    if (!agent.session) {
      emit(agent, 'query-refused', { status: 503 });
      res.set('Retry-After', '1');
      return refuse(res, 503, `The agent ${agent.name} is not connected to the relay; try again later.`);
    }
    if (agent.queue.length + agent.session.delivered.size >= maxPending) {
      emit(agent, 'query-refused', { status: 429 });
      res.set('Retry-After', '1');
      return refuse(res, 429, `The agent ${agent.name} already has ${maxPending} queries waiting; try again in a second.`);
    }
    const item: WorkItem = { id: newCorrelationId(), ...request };
    const pending: Pending = { item, agent, state: 'queued', waiters: new Set() };
    if (keyed) {
      pending.keyed = { ...keyed, pending };
      keep(agent, pending.keyed);
    }
    pendingById.set(item.id, pending);
    agent.queue.push(pending);
    emit(agent, 'query-queued', { id: item.id });
    wait(pending, res);
    const session = agent.session;
    if (session.held) answerPoll(agent, session, deliver(agent, session, session.held.max));
  }

  /** Holds the caller until the answer, its deadline, or its going away. */
  function wait(pending: Pending, res: Response): void {
    // Retries that join a request are callers too: a bounded number of them.
    if (pending.waiters.size >= MAX_WAITERS_PER_QUERY) {
      res.set('Retry-After', '1');
      return refuse(res, 429, `${MAX_WAITERS_PER_QUERY} callers already wait for this request; try again in a second.`);
    }
    const waiter: Waiter = {
      res,
      deadline: setTimeout(() => {
        emit(pending.agent, 'query-deadline', { id: pending.item.id });
        refuse(res, 504, `The agent did not answer in time (within ${deadlineMs} ms).`);
        leave(pending, waiter);
      }, deadlineMs),
    };
    pending.waiters.add(waiter);
    res.on('close', () => {
      if (!res.writableFinished) leave(pending, waiter);
    });
  }

  /**
   * A caller stopped waiting. When nobody waits any more and no answer will be kept, the
   * request is dropped: from the queue if it never reached the agent (it will never run), or
   * marked so that its late answer is refused (410).
   */
  function leave(pending: Pending, waiter: Waiter): void {
    clearTimeout(waiter.deadline);
    pending.waiters.delete(waiter);
    if (pending.waiters.size > 0 || pending.state === 'done') return;
    if (pending.state === 'queued') {
      pending.agent.queue.splice(pending.agent.queue.indexOf(pending), 1);
      if (pending.keyed) pending.agent.keyed.delete(pending.keyed.scope);
      forget(pending, false);
    } else if (!pending.keyed) {
      // Delivered, no key: the agent runs it anyway, but nobody is left to tell.
      pending.session?.delivered.delete(pending);
      forget(pending, false);
    }
    // Delivered with a key: the answer is still wanted, by the retry.
  }

  /** The answer (or the failure) goes to every waiting caller, and is kept when there is a key. */
  function finish(pending: Pending, reply: Reply, keep = true): void {
    for (const waiter of pending.waiters) {
      clearTimeout(waiter.deadline);
      if (!waiter.res.writableEnded) waiter.res.status(reply.status).json(reply.body);
    }
    pending.waiters.clear();
    emit(pending.agent, 'query-answered', { id: pending.item.id, status: reply.status });
    if (pending.keyed) {
      pending.keyed.pending = undefined;
      if (keep) {
        pending.keyed.answer = reply;
        pending.keyed.keptUntil = Date.now() + keepAnswersMs;
      } else pending.agent.keyed.delete(pending.keyed.scope);
    }
    pending.session?.delivered.delete(pending);
    forget(pending, reply.status !== 503);
  }

  /** The request leaves the pending list; a short memory of it explains late answers. */
  function forget(pending: Pending, answered: boolean): void {
    pending.state = 'done';
    pendingById.delete(pending.item.id);
    finished.set(pending.item.id, { agent: pending.agent, session: pending.session, answered });
    if (finished.size > MAX_FINISHED) finished.delete(finished.keys().next().value!);
  }

  // ---- kept answers (bounded) ------------------------------------------------------

  function keptFor(agent: AgentState, scope: string): Keyed | undefined {
    const keyed = agent.keyed.get(scope);
    if (keyed?.keptUntil !== undefined && keyed.keptUntil <= Date.now()) {
      agent.keyed.delete(scope);
      return undefined;
    }
    return keyed;
  }

  function keep(agent: AgentState, keyed: Keyed): void {
    agent.keyed.set(keyed.scope, keyed);
    // At most maxKeptAnswers keys per agent: drop the oldest that is not still running.
    if (agent.keyed.size <= maxKeptAnswers) return;
    for (const [scope, old] of agent.keyed) {
      if (!old.pending) {
        agent.keyed.delete(scope);
        return;
      }
    }
  }

  // ---- routes ----------------------------------------------------------------------

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const json = (limit: string) => express.json({ limit });
  app.post('/agents/:name/login', json('1kb'), (req, res, next) => void onLogin(req, res).catch(next));
  app.get('/agents/:name/work', onWork);
  app.post('/agents/:name/answers', json('1mb'), onAnswers);
  app.post('/agents/:name/queries', json('16kb'), onQuery);
  app.use(unknownRoute);
  app.use(errorAsJson);

  function shutdown(): void {
    shuttingDown = true;
    for (const agent of agents.values()) {
      const session = agent.session;
      if (session?.held) {
        clearTimeout(session.held.timer);
        refuse(session.held.res, 503, 'The relay is shutting down; log in again in a moment.');
        session.held = undefined;
      }
      const all = [...agent.queue, ...(session?.delivered ?? [])];
      for (const pending of all) {
        for (const waiter of pending.waiters) {
          clearTimeout(waiter.deadline);
          refuse(waiter.res, 503, 'The relay is shutting down; the query may or may not have run.');
        }
        pending.waiters.clear();
      }
      clearTimeout(session?.offlineTimer);
    }
  }

  return Object.assign(app, {
    shutdown,
    async close() {
      shutdown();
      for (const agent of agents.values()) agent.keyed.clear();
      pendingById.clear();
      finished.clear();
    },
  });
}

// ---------------------------------------------------------------------------------------
// Checks of what arrives.

/** Each configured agent (and the demo one), keyed by name. */
async function agentsFrom(options: RelayOptions): Promise<Map<string, AgentState>> {
  const configs = [...(options.agents ?? [])];
  if (options.demo) configs.push({ name: DEMO_AGENT, secretHash: await hashSecret(DEMO_AGENT_SECRET), callerKeyHashes: [hashKey(DEMO_CALLER_KEY)] });
  const agents = new Map<string, AgentState>();
  for (const config of configs) {
    if (!AGENT_NAME.test(config.name)) throw new Error(`An agent's name must match ${AGENT_NAME}: ${JSON.stringify(config.name)} does not.`);
    agents.set(config.name, { name: config.name, secretHash: config.secretHash, callerKeyHashes: new Set(config.callerKeyHashes), queue: [], keyed: new Map() });
  }
  return agents;
}

/** What is wrong with a caller's body, with its status; undefined when it is fine. */
export function problemWithQuery(body: unknown, maxParamsBytes = DEFAULT_MAX_PARAMS_BYTES): { status: number; error: string } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { status: 400, error: 'Send a JSON object like {"query": "customerById", "params": {"id": 1}} with Content-Type: application/json.' };
  }
  const { query, params } = body as { query?: unknown; params?: unknown };
  if (typeof query !== 'string' || query === '' || query.length > MAX_QUERY_NAME_LENGTH) {
    return { status: 400, error: `"query" must be the name of one of the agent's queries: text of 1 to ${MAX_QUERY_NAME_LENGTH} characters.` };
  }
  if (params === undefined) return undefined;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return { status: 400, error: '"params" must be a JSON object.' };
  if (Buffer.byteLength(JSON.stringify(params)) > maxParamsBytes) return { status: 413, error: `"params" is larger than ${maxParamsBytes} bytes as JSON.` };
  return undefined;
}

/** An agent's answer as the reply its caller gets, or what is wrong with it. */
function replyFromAnswer(raw: unknown, maxResultBytes: number): { reply: Reply } | { status: number; error: string } {
  const answer = raw as { id?: unknown; status?: unknown; result?: unknown; error?: unknown } | null;
  if (typeof answer !== 'object' || answer === null || typeof answer.id !== 'string' || !CORRELATION_ID.test(answer.id)) {
    return { status: 400, error: 'Each answer needs the "id" of the request it answers (22 characters, as it came).' };
  }
  if (answer.status === 200 && 'result' in answer) {
    const size = Buffer.byteLength(JSON.stringify(answer.result ?? null));
    if (size > maxResultBytes) return { status: 413, error: `The result of ${answer.id} is larger than ${maxResultBytes} bytes as JSON.` };
    return { reply: { status: 200, body: { result: answer.result } } };
  }
  const refusal = typeof answer.status === 'number' && Number.isInteger(answer.status) && answer.status >= 400 && answer.status <= 499;
  if ((refusal || answer.status === 500) && typeof answer.error === 'string') {
    const error = answer.error.slice(0, 1000);
    return { reply: refusal ? { status: answer.status as number, body: { error } } : { status: 502, body: { error: `The agent could not run the query: ${error}` } } };
  }
  return { status: 400, error: `The answer ${answer.id} must be {"id", "status": 200, "result"} or {"id", "status": 400–499 or 500, "error": "…"}.` };
}

/** `max` of a poll: missing is `maxBatch`; otherwise 1 to 3 digits within 1..maxBatch. */
function parseMax(raw: unknown, maxBatch: number): number | undefined {
  if (raw === undefined) return maxBatch;
  if (typeof raw !== 'string' || !/^\d{1,3}$/.test(raw)) return undefined;
  const max = Number(raw);
  return max >= 1 && max <= maxBatch ? max : undefined;
}

function bearer(req: Request): string | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(req.get('authorization') ?? '');
  return match?.[1];
}

function refuse(res: Response, status: number, error: string): void {
  if (res.writableEnded || res.destroyed) return;
  noStore(res);
  res.status(status).json({ error });
}

function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
}

const unknownRoute: RequestHandler = (req, res) => {
  refuse(res, 404, `There is no route ${req.method} ${req.path}.`);
};

const errorAsJson: ErrorRequestHandler = (error: { status?: number; message?: string }, _req, res, _next) => {
  const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  // A 500 hides the real error from the client: log it, with its stack, for whoever runs the relay.
  if (status === 500) console.error(error);
  refuse(res, status, status === 500 ? 'The relay failed.' : `The request could not be read: ${error.message ?? 'bad request'}.`);
};
