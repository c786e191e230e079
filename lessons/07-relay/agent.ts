/**
 * Lesson 07 — the agent: the program inside the firewall, next to the database.
 *
 * Nobody outside can open a connection to it, and it listens on no port. It only ever opens
 * connections *out*, to the relay: it logs in, then holds a poll for work, runs what comes
 * with the named queries of database.ts, and posts the answers back.
 *
 * Run it as a program:
 *
 *     RELAY_AGENT_SECRET=… npx tsx agent.ts --relay http://127.0.0.1:4007 --name shop
 *                          [--batch 16] [--retry-ms 500] [--max-retry-ms 8000]
 *
 * It prints `connected <relay> as <name>` after each successful login. The secret comes from
 * the environment, never the command line (where `ps` shows it to everyone on the machine).
 *
 * Your task: TODOs 10 and 11. Sending requests, logging in and the command line are given.
 *
 * @module
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDemoDatabase, runNamedQuery, type DemoDatabase } from './database.ts';
import type { Answer, LoginAnswer, RelayEvent, WorkAnswer, WorkItem } from './protocol.ts';

export interface AgentOptions {
  /** The relay's base URL, e.g. `http://127.0.0.1:4007`. */
  relayUrl: string;
  name: string;
  secret: string;
  /** The database to answer from; a fresh demo database when not given. */
  database?: DemoDatabase;
  /** At most this many queries per poll (default 16). */
  batch?: number;
  /** The first pause after an error (default 500 ms); it doubles with each error in a row. */
  retryMs?: number;
  /** The longest pause (default 8000 ms). */
  maxRetryMs?: number;
  /** After each successful login. */
  onConnected?: () => void;
  onError?: (error: unknown) => void;
  onEvent?: (event: RelayEvent) => void;
}

export interface AgentHandle {
  /** Resolves after the first successful login. */
  readonly connected: Promise<void>;
  /** Stops the loop and aborts whatever request is in flight. */
  stop(): void;
}

/** The relay said no: a status and its sentence. */
export class RelayRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function startAgent(options: AgentOptions): AgentHandle {
  const { relayUrl, name, secret, batch = 16, retryMs = 500, maxRetryMs = 8000, onConnected, onError, onEvent } = options;
  const base = `${relayUrl}/agents/${encodeURIComponent(name)}`;
  const inFlight = new Set<AbortController>();
  // Two connections stay open to the relay: one for the held poll, one for answers.
  const connections = new http.Agent({ keepAlive: true });
  let stopped = false;
  let token: string | undefined;
  let failuresInARow = 0;
  let wakeUp: (() => void) | undefined;
  let markConnected!: () => void;
  const connected = new Promise<void>((resolve) => (markConnected = resolve));
  const emit = (kind: string, extra: Partial<RelayEvent> = {}) => onEvent?.({ at: Date.now(), lane: 'agent', agent: name, kind, ...extra });

  /** One request with the agent's token, over a kept-alive connection, aborted by stop(); the answer's status and JSON body. */
  async function send(method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const controller = new AbortController();
    inFlight.add(controller);
    try {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const payload = body === undefined ? undefined : JSON.stringify(body);
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const answer = await request(base + route, { method, headers, agent: connections, signal: controller.signal }, payload);
      return { status: answer.status, body: answer.text === '' ? undefined : (JSON.parse(answer.text) as unknown) };
    } finally {
      inFlight.delete(controller);
    }
  }

  async function login(): Promise<void> {
    const answer = await send('POST', '/login', { secret });
    if (answer.status !== 200) throw refusal(answer, 'login');
    token = (answer.body as LoginAnswer).token;
    emit('connected');
    markConnected();
    onConnected?.();
  }

  /** The held poll: answered with work, or `timeout` after the relay's hold time. */
  async function poll(): Promise<WorkAnswer> {
    const answer = await send('GET', `/work?max=${batch}`);
    if (answer.status === 401) token = undefined; // the session ended: log in again
    if (answer.status !== 200) throw refusal(answer, 'poll');
    return answer.body as WorkAnswer;
  }

  /** Runs a batch of queries and posts all their answers in one request. */
  async function answerAll(database: DemoDatabase, requests: WorkItem[]): Promise<void> {
    // TODO 11: first let the next poll leave (await one setImmediate turn), so the relay sees
    //   the agent waiting again while it works. Then answerOne() each request and post all the
    //   answers in ONE request: send('POST', '/answers', { answers }). Emit 'answer' for each.
    //   A refusal (status not 200: already answered, caller gone) goes to onError — never sent
    //   again; an error while stopped is nobody's business.
    void database;
    void requests;
  }

  async function run(): Promise<void> {
    const database = options.database ?? (await openDemoDatabase());
    // TODO 10: the loop of lesson 03, turned around. While not stopped: log in when there is
    //   no token; poll(); a poll that returns (work or timeout) resets failuresInARow; work →
    //   emit 'work' and answerAll() WITHOUT awaiting it (the next poll goes out at once);
    //   timeout → poll again at once.
    //   An error (relay down, 401, 503) → failuresInARow++, onError?.(error), emit 'retry', and
    //   pause(min(retryMs * 2 ** (failuresInARow - 1), maxRetryMs)). poll() already forgets the
    //   token on a 401, so the next turn logs in again. For now: one login, one poll, nothing else.
    try {
      await login();
      await poll();
    } catch (error) {
      if (!stopped) onError?.(error);
    }
    void failuresInARow;
    void answerAll;
    if (!options.database) database.close();
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  void run().catch((error: unknown) => onError?.(error));
  return {
    connected,
    stop() {
      stopped = true;
      for (const controller of inFlight) controller.abort();
      connections.destroy();
      wakeUp?.();
    },
  };
}

/** One query's answer: the named query's result, its refusal, or a failure (500). */
function answerOne(database: DemoDatabase, request: WorkItem): Answer {
  try {
    const outcome = runNamedQuery(database, request.query, request.params);
    return outcome.status === 200 ? { id: request.id, status: 200, result: outcome.result } : { id: request.id, status: outcome.status, error: outcome.error };
  } catch (error) {
    return { id: request.id, status: 500, error: (error as Error).message };
  }
}

/** node:http's request as a promise: the status and the whole body as text. */
function request(url: string, options: http.RequestOptions, payload?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, options, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

function refusal(answer: { status: number; body: unknown }, what: string): RelayRefusal {
  const error = (answer.body as { error?: unknown } | undefined)?.error;
  return new RelayRefusal(answer.status, `${what}: ${answer.status} ${typeof error === 'string' ? error : ''}`.trim());
}

// ---------------------------------------------------------------------------------------
// Given: the command line.

function runFromCommandLine(): void {
  const { values } = parseArgs({
    options: {
      relay: { type: 'string' },
      name: { type: 'string' },
      batch: { type: 'string' },
      'retry-ms': { type: 'string' },
      'max-retry-ms': { type: 'string' },
    },
  });
  const secret = process.env.RELAY_AGENT_SECRET;
  if (!values.relay || !values.name || !secret) {
    console.error('usage: RELAY_AGENT_SECRET=… npx tsx agent.ts --relay URL --name NAME [--batch N] [--retry-ms N] [--max-retry-ms N]');
    process.exit(2);
  }
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  const agent = startAgent({
    relayUrl: values.relay,
    name: values.name,
    secret,
    batch: number(values.batch),
    retryMs: number(values['retry-ms']),
    maxRetryMs: number(values['max-retry-ms']),
    onConnected: () => console.log(`connected ${values.relay} as ${values.name}`),
    onError: (error) => console.error(`agent: ${error instanceof Error ? error.message : String(error)}`),
  });
  const stop = () => {
    agent.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runFromCommandLine();
