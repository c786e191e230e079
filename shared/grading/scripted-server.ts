/**
 * A server the grader controls request by request, for grading clients: the test sees
 * each request as it arrives and decides when and how to answer it (a message, an error,
 * a dropped connection, or nothing at all), and sees when the client gives up on one.
 *
 * @module
 */
import { awaitClient } from './recording.ts';
import type http from 'node:http';
import { listen } from '../http.ts';
import { check, fail } from './failure.ts';
import type { TestContext } from './types.ts';

export interface Exchange {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: string;
  /** performance.now() when the request arrived. */
  readonly arrivedAt: number;
  /** Answers with a JSON body. */
  respond(status: number, body: unknown): void;
  /** Drops the connection without answering: the client sees a network error. */
  drop(): void;
  /** True once answered or dropped by the server. */
  readonly answered: boolean;
  /** Resolves when the client closes the request before it was answered (an abort). */
  readonly abandoned: Promise<void>;
  /** True when the client closed the request before it was answered. */
  isAbandoned(): boolean;
}

export interface ScriptedServer {
  readonly url: string;
  /** Every request received so far, in order of arrival. */
  readonly exchanges: readonly Exchange[];
  /** The next request not yet taken, waiting at most `withinMs`; undefined if none came. */
  next(withinMs: number): Promise<Exchange | undefined>;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', () => resolve(body));
  });
}

function exchangeFor(req: http.IncomingMessage, res: http.ServerResponse, body: string): Exchange {
  const url = new URL(req.url ?? '/', 'http://scripted');
  let answered = false;
  let abandoned = false;
  const whenAbandoned = new Promise<void>((resolve) => {
    res.on('close', () => {
      if (!answered && !res.writableFinished) {
        abandoned = true;
        resolve();
      }
    });
  });
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    body,
    arrivedAt: performance.now(),
    respond(status, payload) {
      if (answered || abandoned) return;
      answered = true;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(payload));
    },
    drop() {
      if (answered) return;
      answered = true;
      res.destroy();
    },
    get answered() {
      return answered;
    },
    abandoned: whenAbandoned,
    isAbandoned: () => abandoned,
  };
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  const exchanges: Exchange[] = [];
  const untaken: Exchange[] = [];
  const takers: Array<(exchange: Exchange) => void> = [];

  const listening = await listen((req, res) => {
    void readBody(req).then((body) => {
      const exchange = exchangeFor(req, res, body);
      exchanges.push(exchange);
      const taker = takers.shift();
      if (taker) taker(exchange);
      else untaken.push(exchange);
    });
  });

  return {
    url: listening.url,
    exchanges,
    next(withinMs) {
      const ready = untaken.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => {
        const taker = (exchange: Exchange): void => {
          clearTimeout(timer);
          resolve(exchange);
        };
        const timer = setTimeout(() => {
          takers.splice(takers.indexOf(taker), 1);
          resolve(undefined);
        }, withinMs);
        takers.push(taker);
      });
    },
    close: () => listening.close(),
  };
}

/** A scripted server that closes when the test ends. */
export async function scriptedServer(ctx: TestContext): Promise<ScriptedServer> {
  const fake = await startScriptedServer();
  ctx.defer(() => fake.close());
  awaitClient();
  return fake;
}

/** How long a client's expected request is waited for before the test says it never came. */
export const REQUEST_LIMIT_MS = 1000;

/**
 * The client's next request, which must be `method path`; fails the test, naming `after`
 * ("after startPolling()"), when it does not come within `withinMs`.
 */
export async function expectRequest(
  ctx: TestContext,
  fake: ScriptedServer,
  route: { method: string; path: string; after: string; withinMs?: number },
): Promise<Exchange> {
  const withinMs = route.withinMs ?? REQUEST_LIMIT_MS;
  ctx.step(`waiting for your client's ${route.method} ${route.path} ${route.after}`);
  const exchange = await fake.next(withinMs);
  if (!exchange) {
    fail({
      expected: `your client to send ${route.method} ${route.path} ${route.after}`,
      actual: `no request came within ${withinMs} ms`,
    });
  }
  check(exchange.method === route.method && exchange.path === route.path, {
    expected: `${route.method} ${route.path} ${route.after}`,
    actual: `${exchange.method} ${exchange.path}`,
  });
  return exchange;
}
