/**
 * Soak test of lesson 04 (resume with lastMessageId): many clients, many messages, clients
 * dropping and reconnecting at random, and one restart of the server. Every client must end
 * with every message exactly once, in order.
 *
 * It grades the reference solution by default; `SOAK_TARGET=lessons npm run test:soak`
 * runs it against the learner's lesson 04 (or any target `npm run verify` accepts).
 * Bounded: a fixed number of messages and reconnects, and a hard time limit.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RequestListener } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { postAcknowledged, seededRandom } from '../../shared/grading/soak.ts';
import { lessonFolder } from '../../shared/grading/targets.ts';
import { waitUntil } from '../../shared/grading/wait.ts';
import { listen, type Listening } from '../../shared/http.ts';
import { findLesson } from '../../shared/manifest.ts';

interface Message {
  id: number;
  text: string;
}
type CreateApp = (options: { holdMs: number; historyLimit: number; initialMessages?: Message[] }) => RequestListener;
type StartClient = (options: {
  baseUrl: string;
  lastMessageId: number;
  onMessage: (m: Message) => void;
  onGap: (gap: unknown) => void;
  onError: (e: unknown) => void;
  retryMs: number;
  maxRetryMs: number;
}) => { stop(): void };

const CLIENTS = 50;
const MESSAGES = 200;
const RESTART_AFTER = 100;
const RECONNECTS = 400;
const SEED = 20261122;
/** An idle window after delivery, shorter than the server's hold (500 ms). */
const QUIET_MS = 300;

const lesson = findLesson('04-resume')!;
const folder = lessonFolder(lesson, process.env.SOAK_TARGET ?? 'solutions');
const { createApp } = (await import(pathToFileURL(path.join(folder, 'server.ts')).href)) as { createApp: CreateApp };
const { startResumingClient } = (await import(pathToFileURL(path.join(folder, 'client.ts')).href)) as { startResumingClient: StartClient };

describe(`soak: lesson 04 in ${path.relative(process.cwd(), folder)}`, () => {
  const cleanups: Array<() => unknown> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(`${CLIENTS} clients × ${MESSAGES} messages, ${RECONNECTS} random reconnects and a server restart: every client gets every message once, in order`, async () => {
    const rand = seededRandom(SEED);
    let requests = 0;
    const serve = async (app: RequestListener, port?: number): Promise<Listening> => {
      const counted: RequestListener = (req, res) => {
        requests++;
        app(req, res);
      };
      const listening = await listen(counted, port);
      cleanups.push(() => listening.close());
      return listening;
    };
    let server = await serve(createApp({ holdMs: 500, historyLimit: 1000 }));
    const baseUrl = server.url;
    const port = Number(new URL(baseUrl).port);

    // Each client keeps its log; a reconnect starts a new client from the last id it has.
    const logs: Message[][] = Array.from({ length: CLIENTS }, () => []);
    const gaps: unknown[] = [];
    const connect = (i: number) =>
      startResumingClient({
        baseUrl,
        lastMessageId: logs[i]!.at(-1)?.id ?? 0,
        onMessage: (m) => void logs[i]!.push(m),
        onGap: (gap) => void gaps.push(gap),
        onError: () => undefined,
        retryMs: 10,
        maxRetryMs: 100,
      });
    const clients = logs.map((_, i) => connect(i));
    cleanups.push(() => clients.forEach((c) => c.stop()));

    let reconnects = 0;
    const reconnectSome = (): void => {
      for (let n = 0; n < RECONNECTS / MESSAGES; n++) {
        const i = Math.floor(rand() * CLIENTS);
        clients[i]!.stop();
        clients[i] = connect(i);
        reconnects++;
      }
    };

    const started = performance.now();
    const acknowledged: Message[] = [];
    for (let n = 1; n <= MESSAGES; n++) {
      acknowledged.push(await postAcknowledged<Message>(() => baseUrl, `message ${n}`));
      reconnectSome();
      if (n === RESTART_AFTER) {
        // Kill the server (connections dropped, no "cancelled"), and start a new one on the
        // same port with the messages the old one had, as if read back from disk.
        const kept = (await (await fetch(`${baseUrl}/poll?after=0`)).json()) as { messages: Message[] };
        await server.close();
        server = await serve(createApp({ holdMs: 500, historyLimit: 1000, initialMessages: kept.messages }), port);
      }
    }

    const allDelivered = await waitUntil(() => (logs.every((log) => log.at(-1)?.id === MESSAGES) ? true : undefined), { withinMs: 20_000, everyMs: 20 });
    const elapsed = Math.round(performance.now() - started);
    // Quiet time: with everything delivered, held polls just wait. In a window shorter than
    // holdMs each client can at most time out once and ask again; a server that answers a
    // poll which has everything (instead of holding it) makes its clients spin.
    const beforeQuiet = requests;
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const quietRequests = requests - beforeQuiet;
    clients.forEach((c) => c.stop());

    const expectedIds = Array.from({ length: MESSAGES }, (_, i) => i + 1);
    expect(acknowledged.map((m) => m.id), 'ids acknowledged to the poster (continuing across the restart)').toEqual(expectedIds);
    const wrong = logs
      .map((log, i) => ({ client: i, ids: log.map((m) => m.id) }))
      .filter(({ ids }) => ids.length !== MESSAGES || ids.some((id, k) => id !== k + 1));
    expect(wrong, `clients whose log is not exactly 1..${MESSAGES} (all delivered in time: ${Boolean(allDelivered)})`).toEqual([]);
    expect(logs.every((log) => log.every((m) => m.text === `message ${m.id}`))).toBe(true);
    expect(gaps).toEqual([]);
    expect(quietRequests, `requests in ${QUIET_MS} ms with nothing new to deliver: polls must be held`).toBeLessThanOrEqual(2 * CLIENTS);
    console.log(
      `soak: ${CLIENTS} clients × ${MESSAGES} messages = ${CLIENTS * MESSAGES} deliveries, ${reconnects} reconnects, 1 restart, ` +
        `${requests} requests, ${elapsed} ms, no loss, no duplicate; ${quietRequests} requests in ${QUIET_MS} ms of quiet`,
    );
  }, 60_000);
});
