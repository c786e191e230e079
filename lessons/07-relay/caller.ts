/**
 * Lesson 07 — the caller: a small library for whoever wants an answer from the database
 * behind the firewall. It works in Node and in the browser (it only uses fetch).
 *
 *     const shop = createCaller({ relayUrl: 'http://127.0.0.1:4007', agent: 'shop', apiKey });
 *     const { customer } = await shop.query('customerById', { id: 1 });
 *
 * Your task: TODO 12.
 *
 * @module
 */

export interface CallerOptions {
  relayUrl: string;
  agent: string;
  apiKey: string;
}

export interface QueryOptions {
  /** Sent as Idempotency-Key: the relay runs the query at most once for it. */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** How many times to try again after 429, 503 or a network error (default 0). */
  retries?: number;
  /** The pause before a retry when the relay names none (default 200 ms). */
  retryMs?: number;
}

export interface Caller {
  query<T = unknown>(query: string, params?: Record<string, unknown>, options?: QueryOptions): Promise<T>;
}

/** The query got no result: the relay's (or the agent's) status and sentence. `status` 0: no answer at all. */
export class QueryError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Statuses that say "the query did not run, try again": too busy (429), agent offline (503). */
const RETRYABLE = new Set([0, 429, 503]);

export function createCaller(options: CallerOptions): Caller {
  const url = `${options.relayUrl}/agents/${encodeURIComponent(options.agent)}/queries`;

  async function once(query: string, params: Record<string, unknown>, idempotencyKey: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${options.apiKey}` };
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let response: Response;
    let body: { result?: unknown; error?: unknown } | undefined;
    try {
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, params }), signal });
      body = (await response.json()) as typeof body;
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new QueryError(0, `The relay could not be reached or closed the connection (${(error as Error).message}); the query may or may not have run.`);
    }
    // TODO 12: 200 → body.result. Anything else → throw new QueryError(status, the body's
    //   error (or "The relay answered N."), Retry-After in ms when the relay sent one).
    //   For now every answer counts as a result.
    return body?.result;
  }

  return {
    async query<T>(query: string, params: Record<string, unknown> = {}, queryOptions: QueryOptions = {}): Promise<T> {
      const { retries = 0, retryMs = 200, signal } = queryOptions;
      // TODO 12 (continued): with retries > 0, try again after a QueryError of status 0, 429 or
      //   503 (never 4xx, 502, 504: those ran, or may have), waiting retryAfterMs or retryMs —
      //   and every attempt carries the SAME Idempotency-Key: the one given, or
      //   crypto.randomUUID() made once before the first attempt (only when retries > 0: one
    //   attempt needs no key of its own). For now one attempt, no key.
      void retries;
      void retryMs;
      void RETRYABLE;
      return (await once(query, params, queryOptions.idempotencyKey, signal)) as T;
    },
  };
}
