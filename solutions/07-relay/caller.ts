/**
 * Lesson 07 — the caller: a small library for whoever wants an answer from the database
 * behind the firewall. It works in Node and in the browser (it only uses fetch).
 *
 *     const shop = createCaller({ relayUrl: 'http://127.0.0.1:4007', agent: 'shop', apiKey });
 *     const { customer } = await shop.query('customerById', { id: 1 });
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
    if (response.status === 200) return body?.result;
    const retryAfter = Number(response.headers.get('retry-after'));
    const message = typeof body?.error === 'string' ? body.error : `The relay answered ${response.status}.`;
    throw new QueryError(response.status, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }

  return {
    async query<T>(query: string, params: Record<string, unknown> = {}, queryOptions: QueryOptions = {}): Promise<T> {
      const { retries = 0, retryMs = 200, signal } = queryOptions;
      // A retry always carries a key, the same for every attempt: the relay then runs the query once.
      const key = queryOptions.idempotencyKey ?? (retries > 0 ? crypto.randomUUID() : undefined);
      for (let attempt = 0; ; attempt++) {
        try {
          return (await once(query, params, key, signal)) as T;
        } catch (error) {
          if (!(error instanceof QueryError) || !RETRYABLE.has(error.status) || attempt >= retries) throw error;
          await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? retryMs));
        }
      }
    },
  };
}
