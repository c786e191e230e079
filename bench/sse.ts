/**
 * Measure 8: Server-Sent Events (lesson 08, issue 17). The same messages to the same number
 * of clients, three ways: lesson 08's event streams (solutions/08-event-stream/main.ts), lesson
 * 04's held long polls (solutions/04-resume, as measures 2–3 run it), and a bare node:http SSE
 * server (bench/servers/bare-sse.ts: one `write` of the same bytes to every stream), the limit
 * of this machine. Each server is a process of its own, fresh for every run; lesson 08's with
 * heartbeats and a maximum stream age far beyond the run, history enough for all of it, and a
 * slow-reader limit of 64 MB.
 *
 * The clients are in this process: lean ones on raw sockets (bench/lib/lean-sse.ts for the
 * streams, bench/lib/lean-http.ts for the polls, which ask again at once with the last id
 * they have), so that the servers, not the clients, are what is measured. Every delivery is
 * checked: each client must get each message once, in order (a tally per client of the next
 * id it must get); a lost or repeated message stops the measure with an error.
 *
 * (a) One broadcast to N clients: a cold one, a few unmeasured, then the measured (warm) ones.
 * For each: the server's CPU (/proc, all threads) from the post until every client is ready
 * for the next message (for the polls, every re-poll held again), per delivery; post → the last
 * client has it; the bytes the clients' sockets read and wrote meanwhile, per delivery (for a
 * poll the whole answer and the re-poll it causes; for a stream the event); and the server's
 * memory per connected client. (b) A steady stream of messages (100 a second) to M clients for
 * a bounded time, after a few unmeasured broadcasts: latency from writing each post to each
 * client having the message, p50 and p99 over every delivery.
 *
 * @module
 */
import path from 'node:path';
import { projectRoot } from '../shared/paths.ts';
import { waitUntil } from './fanout.ts';
import { startChild } from './lib/child.ts';
import { leanConnection, requestBytes, type LeanAnswer, type LeanConnection } from './lib/lean-http.ts';
import { openEventStream } from './lib/lean-sse.ts';
import { cpuNs, rssKb } from './lib/proc.ts';
import { startProcess, stopProcess } from './lib/spawn.ts';
import { median, percentile } from './lib/stats.ts';

/** The three servers of measure 8, in the order of its tables: the lesson, the long polls, the reference. */
export const sseKinds = ['lesson08', 'lesson04', 'bare-sse'] as const;
export type SseKind = (typeof sseKinds)[number];

export interface SseSettings {
  /** Clients of each broadcast (a). */
  clients: number;
  /** Clients of the steady stream (b). */
  streamClients: number;
  /** Messages per second in the steady stream. */
  perSecond: number;
  /** How long the steady stream is posted, s. */
  streamSeconds: number;
  /** Fresh servers per kind; the figures are the median over them. */
  runs: number;
  /** Unmeasured broadcasts after the cold one (the JIT is still at work); before the stream too. */
  settleRounds: number;
  /** Broadcasts measured after those. */
  warmRounds: number;
  /** How long to wait for any one step (connecting everyone, one broadcast) before giving up. */
  stepLimitMs?: number;
}

export interface SseRound {
  /** Post to the last client having the message, ms. */
  lastMs: number;
  /** Server CPU from the post until every client is ready for the next message, per delivery, µs. */
  cpuUs: number;
  /** Bytes the clients' sockets read and wrote over the same time, per delivery. */
  bytes: number;
}

export interface SseBroadcastRow {
  kind: SseKind;
  clients: number;
  cold: SseRound;
  warm: SseRound;
  /** Server memory per client: (RSS with every client connected − RSS at start) ÷ clients, KB. */
  rssPerClientKb: number;
  runs: number;
}

export interface SseStreamRow {
  kind: SseKind;
  clients: number;
  /** Messages posted; the rate they were meant to be posted at, and the rate they were sent at (not waiting for the 201s). */
  messages: number;
  targetPerSecond: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server CPU per delivery over the stream, µs. */
  cpuUs: number;
  /** The bench's own CPU (the clients, and the posts) per delivery over the stream, µs: the other half of the machine's load. */
  clientCpuUs: number;
  /** Bytes the clients' sockets read and wrote per delivery over the stream (polls catch up on several at once). */
  bytes: number;
  runs: number;
}

export interface SseResult {
  broadcast: SseBroadcastRow[];
  stream: SseStreamRow[];
}

export const BODY = JSON.stringify({ text: 'the same message for everyone, about as long as a chat line' });
/** New connections opened at once: enough to be quick, few enough for the listen backlog. */
export const BATCH = 250;
/** Heartbeats and the maximum stream age of lesson 08's server: beyond any run. */
const HOUR_MS = String(3_600_000);
/**
 * Lesson 08's slow-reader limit, raised from 256 KB: on a busy machine the bench's clients may
 * fall seconds behind the stream, and a stream cut (which an EventSource would resume) would
 * stop the measure; the bench measures delivery, not the cut.
 */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * Every client's deliveries: each must get message 1, 2, 3… once each, in that order. Keeps
 * when each message was posted, when its last client had it, and, while `latencies` is set,
 * how long each delivery took.
 */
export class Tally {
  private readonly next: Int32Array;
  private readonly heard: number[] = [];
  private readonly lastAt: number[] = [];
  private readonly problems: string[] = [];
  private problemCount = 0;
  private waiter: { id: number; resolve: (at: number) => void; reject: (error: Error) => void } | undefined;
  readonly postedAt: number[] = [];
  /** Post → delivery, ms, of every delivery while this is set. */
  latencies: number[] | undefined;
  deliveries = 0;

  constructor(readonly clients: number) {
    this.next = new Int32Array(clients).fill(1);
  }

  /**
   * Client `client` has message `id` since `at` (performance.now()); the message was posted at
   * `posted` (by default, what `postedAt` says for `id`).
   */
  deliver(client: number, id: number, at: number, posted = this.postedAt[id]): void {
    const expected = this.next[client]!;
    if (id !== expected) {
      this.problem(id < expected ? `client ${client} got message ${id} again (it has every one up to ${expected - 1})` : `client ${client} got message ${id}, but never ${expected}`);
      if (id < expected) return;
    }
    this.next[client] = id + 1;
    this.deliveries++;
    const heard = (this.heard[id] ?? 0) + 1;
    this.heard[id] = heard;
    if (this.latencies && posted !== undefined) this.latencies.push(at - posted);
    if (heard === this.clients) {
      this.lastAt[id] = at;
      if (this.waiter?.id === id) this.waiter.resolve(at);
    }
  }

  problem(text: string): void {
    if (++this.problemCount <= 5) this.problems.push(text);
    this.waiter?.reject(this.error());
  }

  private error(): Error {
    return new Error(`${this.problemCount} deliver${this.problemCount === 1 ? 'y' : 'ies'} went wrong: ${this.problems.join('; ')}${this.problemCount > 5 ? '; …' : ''}`);
  }

  /** Throws when any delivery went wrong so far. */
  throwIfWrong(): void {
    if (this.problemCount > 0) throw this.error();
  }

  /** Throws when any delivery went wrong, or when any client does not have every message up to `lastId`. */
  check(lastId: number): void {
    this.throwIfWrong();
    const behind = this.next.findIndex((next) => next !== lastId + 1);
    if (behind >= 0) throw new Error(`client ${behind} has messages up to ${this.next[behind]! - 1}, not ${lastId}`);
  }

  /** Resolves with the time the last client had message `id`. */
  everyone(id: number, withinMs: number): Promise<number> {
    this.throwIfWrong();
    const at = this.lastAt[id];
    if (at !== undefined) return Promise.resolve(at);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`message ${id} reached ${this.heard[id] ?? 0} of ${this.clients} clients in ${withinMs} ms`)), withinMs);
      const done = () => (clearTimeout(timer), (this.waiter = undefined));
      this.waiter = { id, resolve: (value) => (done(), resolve(value)), reject: (error) => (done(), reject(error)) };
    });
  }
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const listening = /^listening (http:\/\/\S+)/;

/** The server of `kind` as a process of its own, keeping at least `messages` messages. */
async function startServer(kind: SseKind, messages: number): Promise<Server> {
  if (kind === 'lesson04') {
    // As measures 2–3 run it (bench/servers/ours.ts: polls held up to 60 s, history 1,000 — a poll is never that far behind here).
    const child = await startChild<{ url: string }>('servers/serve.ts', ['ours']);
    return { url: child.ready.url, pid: child.pid, stop: () => child.stop() };
  }
  const started =
    kind === 'lesson08'
      ? await startProcess(path.join(projectRoot, 'solutions', '08-event-stream', 'main.ts'), ['--port', '0', '--heartbeat-ms', HOUR_MS, '--max-stream-ms', HOUR_MS, '--max-buffered-bytes', String(MAX_BUFFERED_BYTES), '--history-limit', String(Math.max(1000, messages))], listening)
      : await startProcess(path.join(projectRoot, 'bench', 'servers', 'bare-sse.ts'), ['--port', '0'], listening);
  return { url: started.match[1]!, pid: started.child.pid!, stop: () => stopProcess(started.child) };
}

export interface Subscriber {
  bytes(): number;
  close(): void;
}

/** Client `index`: an event stream, or a loop of polls asking again at once. */
async function subscribe(kind: SseKind, url: string, index: number, tally: Tally): Promise<Subscriber> {
  if (kind !== 'lesson04') {
    return openEventStream(url, '/events', {
      onEvent(event, at) {
        const message = JSON.parse(event.data) as { id: number };
        if (event.event !== 'message' || event.id !== String(message.id)) tally.problem(`client ${index} got an event "${event.event}", id ${event.id}: ${event.data.slice(0, 200)}`);
        else tally.deliver(index, message.id, at);
      },
      onEnd: (error) => tally.problem(`client ${index}: ${error.message}`),
    });
  }
  return heldPoller(url, index, tally);
}

/**
 * Client `index` of lesson 04's API (lesson 09 has the same): a keep-alive connection asking
 * `GET /poll?after=<the last id it has>` again at once, each message into `tally`. `postedAt`,
 * when given, says from a message when it was posted (else the tally knows it by id).
 */
export async function heldPoller(url: string, index: number, tally: Tally, postedAt?: (message: { id: number; text: string }) => number | undefined): Promise<Subscriber> {
  const connection = await leanConnection(url);
  let after = 0;
  let stopped = false;
  const poll = async () => {
    while (!stopped) {
      const answer = await connection.send(requestBytes('GET', `/poll?after=${after}`));
      const at = performance.now();
      const body = JSON.parse(answer.body) as { status: string; messages?: Array<{ id: number; text: string }> };
      if (answer.status !== 200 || (body.status !== 'messages' && body.status !== 'timeout')) throw new Error(`a poll was answered ${answer.status} ${answer.body.slice(0, 200)}`);
      for (const message of body.messages ?? []) {
        tally.deliver(index, message.id, at, postedAt?.(message));
        after = message.id;
      }
    }
  };
  poll().catch((error: unknown) => stopped || tally.problem(`client ${index}: ${(error as Error).message}`));
  return {
    bytes: () => connection.bytes(),
    close: () => ((stopped = true), connection.close()),
  };
}

/** Opens clients 0 … count − 1 with `open`, BATCH at a time, each into `into` as soon as its batch is open (so that a failure can close them). */
export async function connectAll(count: number, open: (index: number) => Promise<Subscriber>, into: Subscriber[]): Promise<void> {
  for (let started = 0; started < count; started += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - started) }, (_, n) => open(started + n));
    into.push(...(await Promise.all(batch)));
  }
}

/** One keep-alive connection for the posts and /stats, opened again if the server closed it while idle. */
export function control(url: string) {
  let connection: LeanConnection | undefined;
  return {
    async send(request: Buffer): Promise<LeanAnswer> {
      if (!connection || connection.closed) connection = await leanConnection(url);
      return connection.send(request);
    },
    close: () => connection?.close(),
  };
}
export type Control = ReturnType<typeof control>;

/** Everything one measurement has open; `close` ends it all, the server last. */
interface Setup {
  server: Server;
  tally: Tally;
  subscribers: Subscriber[];
  control: Control;
  rssPerClientKb: number;
  /** Resolves once every client is ready for the next message (streams open; polls held). */
  ready(): Promise<void>;
  /** Posts message `id`, after noting when; resolves with its 201. Posts may overlap: they are pipelined, answered in order. */
  post(id: number): Promise<void>;
  bytes(): number;
  close(): Promise<void>;
}

async function setUp(kind: SseKind, clients: number, messages: number, stepLimitMs: number): Promise<Setup> {
  const server = await startServer(kind, messages);
  const tally = new Tally(clients);
  const subscribers: Subscriber[] = [];
  const connection = control(server.url);
  const close = async () => {
    for (const subscriber of subscribers) subscriber.close();
    connection.close();
    await server.stop();
  };
  try {
    const rssAtStart = rssKb(server.pid);
    await connectAll(clients, (index) => subscribe(kind, server.url, index, tally), subscribers);
    const field = kind === 'lesson04' ? 'waiting' : 'streams';
    const ready = () =>
      waitUntil(
        async () => {
          tally.throwIfWrong();
          const answer = await connection.send(requestBytes('GET', '/stats'));
          return (JSON.parse(answer.body) as Record<string, number>)[field]! >= clients;
        },
        `${clients} clients ready at ${kind}`,
        stepLimitMs,
      );
    await ready();
    return {
      server,
      tally,
      subscribers,
      control: connection,
      rssPerClientKb: (rssKb(server.pid) - rssAtStart) / clients,
      ready,
      async post(id) {
        tally.postedAt[id] = performance.now();
        const answer = await connection.send(requestBytes('POST', '/messages', { 'content-type': 'application/json' }, BODY));
        if (answer.status !== 201 || (JSON.parse(answer.body) as { id?: number }).id !== id) throw new Error(`POST /messages was answered ${answer.status} ${answer.body.slice(0, 200)}, not message ${id}`);
      },
      bytes: () => subscribers.reduce((sum, subscriber) => sum + subscriber.bytes(), 0),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One broadcast, measured: the post, every client having it, every client ready again. */
async function broadcast(setup: Setup, id: number, stepLimitMs: number): Promise<SseRound> {
  const { server, tally } = setup;
  const bytesBefore = setup.bytes();
  const cpuBefore = cpuNs(server.pid);
  await setup.post(id);
  const lastAt = await tally.everyone(id, stepLimitMs);
  await setup.ready();
  const cpu = cpuNs(server.pid) - cpuBefore;
  return { lastMs: lastAt - tally.postedAt[id]!, cpuUs: cpu / 1000 / tally.clients, bytes: (setup.bytes() - bytesBefore) / tally.clients };
}

async function broadcastRun(kind: SseKind, settings: SseSettings, stepLimitMs: number) {
  const rounds = 1 + settings.settleRounds + settings.warmRounds;
  const setup = await setUp(kind, settings.clients, rounds, stepLimitMs);
  try {
    const measured: SseRound[] = [];
    for (let id = 1; id <= rounds; id++) measured.push(await broadcast(setup, id, stepLimitMs));
    setup.tally.check(rounds);
    return { cold: measured[0]!, warm: medianRound(measured.slice(1 + settings.settleRounds)), rssPerClientKb: setup.rssPerClientKb };
  } finally {
    await setup.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `count` messages at a steady pace, `send(0)` … `send(count − 1)`, each due 1/perSecond
 * after the one before whatever the server does: none waits for the answer to the ones before.
 * `check` runs before each (it throws to stop). Resolves, once the last is sent, with their
 * answers to come and the seconds the sending took.
 */
export async function paced(count: number, perSecond: number, send: (n: number) => Promise<void>, check: () => void): Promise<{ posts: Array<Promise<void>>; seconds: number }> {
  const started = performance.now();
  const posts: Array<Promise<void>> = [];
  for (let n = 0; n < count; n++) {
    const early = started + (n * 1000) / perSecond - performance.now();
    if (early > 0) await sleep(early);
    check();
    const post = send(n);
    post.catch(() => undefined); // the caller awaits them all
    posts.push(post);
  }
  return { posts, seconds: (performance.now() - started) / 1000 };
}

async function streamRun(kind: SseKind, settings: SseSettings, stepLimitMs: number) {
  const messages = Math.round(settings.perSecond * settings.streamSeconds);
  const setup = await setUp(kind, settings.streamClients, settings.settleRounds + messages, stepLimitMs);
  const { tally, server } = setup;
  try {
    for (let id = 1; id <= settings.settleRounds; id++) await broadcast(setup, id, stepLimitMs);
    const first = settings.settleRounds + 1;
    const last = settings.settleRounds + messages;
    tally.latencies = [];
    const bytesBefore = setup.bytes();
    const cpuBefore = cpuNs(server.pid);
    const clientCpuBefore = cpuNs(process.pid);
    // Pipelined on one connection, so the server numbers the posts in the order they were sent.
    const { posts, seconds } = await paced(messages, settings.perSecond, (n) => setup.post(first + n), () => tally.throwIfWrong());
    await Promise.all(posts);
    await tally.everyone(last, stepLimitMs);
    await setup.ready();
    const deliveries = messages * tally.clients;
    const cpu = cpuNs(server.pid) - cpuBefore;
    const clientCpu = cpuNs(process.pid) - clientCpuBefore;
    const bytes = setup.bytes() - bytesBefore;
    tally.check(last);
    const latencies = tally.latencies;
    if (latencies.length !== deliveries) throw new Error(`${latencies.length} deliveries timed, ${deliveries} expected`);
    return { messages, perSecond: messages / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies.reduce((max, ms) => Math.max(max, ms), 0), cpuUs: cpu / 1000 / deliveries, clientCpuUs: clientCpu / 1000 / deliveries, bytes: bytes / deliveries };
  } finally {
    await setup.close();
  }
}

function medianRound(rounds: readonly SseRound[]): SseRound {
  return { lastMs: median(rounds.map((r) => r.lastMs)), cpuUs: median(rounds.map((r) => r.cpuUs)), bytes: median(rounds.map((r) => r.bytes)) };
}

const name = (kind: SseKind) => kind.padEnd(8);

export async function measureSse(settings: SseSettings, log: (line: string) => void, kinds: readonly SseKind[] = sseKinds): Promise<SseResult> {
  const stepLimitMs = settings.stepLimitMs ?? 120_000;
  // Kinds take turns inside each repetition, so that a slow minute of the machine falls on all of them.
  const broadcasts = new Map<SseKind, Array<Awaited<ReturnType<typeof broadcastRun>>>>();
  const streams = new Map<SseKind, Array<Awaited<ReturnType<typeof streamRun>>>>();
  for (let run = 1; run <= settings.runs; run++) {
    for (const kind of kinds) {
      const result = await broadcastRun(kind, settings, stepLimitMs).catch((error: Error) => {
        throw new Error(`measure 8, one broadcast to ${settings.clients} clients of ${kind}: ${error.message}`);
      });
      log(`  ${name(kind)} ${settings.clients} clients, run ${run}: warm ${result.warm.cpuUs.toFixed(1)} µs/delivery, ${result.warm.lastMs.toFixed(0)} ms post → last, ${result.warm.bytes.toFixed(0)} bytes/delivery, ${result.rssPerClientKb.toFixed(1)} KB/client`);
      broadcasts.set(kind, [...(broadcasts.get(kind) ?? []), result]);
    }
    for (const kind of kinds) {
      const result = await streamRun(kind, settings, stepLimitMs).catch((error: Error) => {
        throw new Error(`measure 8, ${settings.perSecond} messages/s to ${settings.streamClients} clients of ${kind}: ${error.message}`);
      });
      log(`  ${name(kind)} ${settings.streamClients} clients, ${result.messages} messages at ${result.perSecond.toFixed(0)}/s, run ${run}: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ${result.cpuUs.toFixed(1)} µs/delivery (clients ${result.clientCpuUs.toFixed(1)})`);
      streams.set(kind, [...(streams.get(kind) ?? []), result]);
    }
  }
  return {
    broadcast: kinds.map((kind) => {
      const all = broadcasts.get(kind)!;
      return { kind, clients: settings.clients, cold: medianRound(all.map((r) => r.cold)), warm: medianRound(all.map((r) => r.warm)), rssPerClientKb: median(all.map((r) => r.rssPerClientKb)), runs: all.length };
    }),
    stream: kinds.map((kind) => {
      const all = streams.get(kind)!;
      const of = (key: 'perSecond' | 'p50Ms' | 'p99Ms' | 'maxMs' | 'cpuUs' | 'clientCpuUs' | 'bytes') => median(all.map((r) => r[key]));
      return { kind, clients: settings.streamClients, messages: all[0]!.messages, targetPerSecond: settings.perSecond, perSecond: of('perSecond'), p50Ms: of('p50Ms'), p99Ms: of('p99Ms'), maxMs: of('maxMs'), cpuUs: of('cpuUs'), clientCpuUs: of('clientCpuUs'), bytes: of('bytes'), runs: all.length };
    }),
  };
}
