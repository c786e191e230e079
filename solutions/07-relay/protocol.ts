/**
 * Lesson 07's contract: what travels between the caller, the relay and the agent.
 * Nothing to change here; read it once before you start.
 *
 * The caller and the agent never talk to each other. Both talk to the relay, and both only
 * ever open connections *to* it:
 *
 *     caller ──POST /agents/:name/queries──▶ relay ◀──GET /agents/:name/work── agent
 *            ◀──── held until the answer ───        ──── held until there is work ──▶
 *                                                 ◀──POST /agents/:name/answers──
 *
 * @module
 */

/** A query as the caller sends it: the name of one of the agent's queries, and its parameters. */
export interface QueryRequest {
  query: string;
  params?: Record<string, unknown>;
}

/** One query handed to the agent by its held poll. */
export interface WorkItem {
  /** The correlation id: 16 random bytes, base64url (22 characters). */
  id: string;
  query: string;
  params: Record<string, unknown>;
  /** The caller's Idempotency-Key, when it sent one (the agent may log it; the relay enforces it). */
  idempotencyKey?: string;
}

/** What the agent's held poll is answered with. */
export type WorkAnswer = { status: 'work'; requests: WorkItem[] } | { status: 'timeout' };

/**
 * The agent's answer to one WorkItem: a result (200), a refusal (400–499: unknown query, bad
 * parameters), or a failure while running it (500; the caller gets 502).
 */
export type Answer = { id: string; status: 200; result: unknown } | { id: string; status: number; error: string };

/** The body of `POST /agents/:name/answers`. */
export interface AnswerBatch {
  answers: Answer[];
}

/** What `POST /agents/:name/login` answers. */
export interface LoginAnswer {
  token: string;
  holdMs: number;
  offlineAfterMs: number;
  maxBatch: number;
}

/** An agent the relay knows: its name, the hash of its secret, the hashes of the caller keys allowed to query it. */
export interface AgentConfig {
  name: string;
  /** `hashSecret(secret)` from secrets.ts: scrypt, never the secret itself. */
  secretHash: string;
  /** `hashKey(key)` from secrets.ts for each API key allowed to query this agent. */
  callerKeyHashes: string[];
}

/** Something that happened, for a live timeline (the site's three lanes). */
export interface RelayEvent {
  at: number;
  lane: 'relay' | 'agent';
  agent: string;
  kind: string;
  id?: string;
  status?: number;
  count?: number;
}

/** How long the agent's poll is held: under the ~30 s idle limit of proxies (lesson 03). The seed held 60 s. */
export const DEFAULT_HOLD_MS = 25_000;
/** How long a caller waits for the answer before it gets 504. */
export const DEFAULT_DEADLINE_MS = 10_000;
/** An agent with no poll held for this long is offline. */
export const DEFAULT_OFFLINE_AFTER_MS = 2_000;
/** Queued plus delivered-and-unanswered requests, per agent. */
export const DEFAULT_MAX_PENDING = 100;
/** Requests in one poll answer; answers in one POST. */
export const DEFAULT_MAX_BATCH = 100;
/** How long the answer to a request with an Idempotency-Key is kept for retries. */
export const DEFAULT_KEEP_ANSWERS_MS = 300_000;
/** Kept answers per agent; the oldest goes first. */
export const DEFAULT_MAX_KEPT_ANSWERS = 1_000;
/** `params` as JSON, at most. */
export const DEFAULT_MAX_PARAMS_BYTES = 4_096;
/** One answer's `result` as JSON, at most. */
export const DEFAULT_MAX_RESULT_BYTES = 262_144;
/** Callers waiting on one query, at most: the first and the retries that joined it (Idempotency-Key). */
export const MAX_WAITERS_PER_QUERY = 16;
/** A query's name, at most (the relay does not know the names: the agent does). */
export const MAX_QUERY_NAME_LENGTH = 100;

/** An agent's name: lower-case letters, digits and dashes. */
export const AGENT_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** A correlation id: 22 base64url characters (16 random bytes). */
export const CORRELATION_ID = /^[A-Za-z0-9_-]{22}$/;
/** An Idempotency-Key: 1 to 100 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/;

/** The workshop's demo: an agent and a caller key that only make sense on this machine. */
export const DEMO_AGENT = 'demo';
export const DEMO_AGENT_SECRET = 'demo-agent-secret-for-this-machine-only';
export const DEMO_CALLER_KEY = 'demo-caller-key-for-this-machine-only';
