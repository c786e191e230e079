/**
 * Measure 9: scale-out through Redis (lesson 09, issue 18). The lesson 09 solution
 * (solutions/09-scale-out/main.ts) as 1, 2 and 3 processes of their own on one private
 * redis-server (shared/redis.ts: AOF on, `appendfsync always`, so each 201 waited for an fsync
 * on the project's disk), against the lesson 04 solution alone (one process, as measures 2–3
 * and 8 run it) as the reference. The HTTP API is lesson 04's, so the clients are measure 8's
 * lean held polls (bench/sse.ts), in the bench's process; client i holds its polls at process
 * i mod P. Every delivery is checked (the Tally: each client each message once, in order; a
 * loss or a duplicate stops the measure with an error). A fresh redis-server and fresh
 * processes for every run.
 *
 * (a) One broadcast to N held clients: a cold one, a few unmeasured (as many for each process
 * as lesson 04 alone gets: each process answers 1/P of the polls, and the JIT counts calls),
 * then the measured (warm) ones, posted through the processes in turn. CPU from /proc (all threads) of every lesson
 * process plus redis-server, from the post until every client is held again, per delivery;
 * post → the last client has it; memory per held client (the processes' RSS, summed).
 * (b) The Redis hop: one client, one post at a time (each waits for the delivery and the
 * re-poll), post → delivery, p50 and p99: lesson 09 on one process against lesson 04 alone;
 * and lesson 09 on a redis-server that fsyncs once a second, to show what the fsync costs.
 * (c) A steady stream (100 messages a second) to M clients over 3 processes for a bounded
 * time, each post through the next process in turn, paced, pipelined (none waits for its
 * 201): latency from writing each post to each client having it, p50 / p99; the CPU; the
 * commands Redis ran per message (INFO commandstats). Lesson 04 alone gets the same stream,
 * for reference.
 *
 * @module
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { projectRoot, workRoot } from '../shared/paths.ts';
import { redisAvailable, startRedis } from '../shared/redis.ts';
import { waitUntil } from './fanout.ts';
import { startChild } from './lib/child.ts';
import { requestBytes } from './lib/lean-http.ts';
import { cpuNs, rssKb } from './lib/proc.ts';
import { startProcess, stopProcess } from './lib/spawn.ts';
import { median, percentile } from './lib/stats.ts';
import { connectAll, control, heldPoller, paced, Tally, type Control, type SseSettings, type SseStreamRow, type Subscriber } from './sse.ts';

/** Measure 8's settings (the broadcast's clients spread evenly over the processes), and: */
export interface ScaleSettings extends SseSettings {
  /** How many lesson 09 processes, one broadcast row each. */
  processes: readonly number[];
  /** Posts one at a time to one client, for the Redis hop (b). */
  hopPosts: number;
  /** Lesson 09 processes of the steady stream. */
  streamProcesses: number;
}

/** What serves the clients: lesson 04 alone (processes 1, no Redis), or lesson 09 on `processes` processes and one redis-server. */
export interface Deployment {
  kind: 'lesson04' | 'lesson09';
  processes: number;
  /** Lesson 09's redis-server fsyncs its AOF before every answer (`always`, the lesson's setting), or once a second (`everysec`: the hop without the fsync). */
  appendfsync?: 'everysec';
}

export interface ScaleRound {
  /** Post to the last client having the message, ms. */
  lastMs: number;
  /** CPU of every process under test (lesson processes and redis-server) from the post until every client is held again, per delivery, µs. */
  cpuUs: number;
  /** redis-server's part of cpuUs. */
  redisCpuUs: number;
}

export interface ScaleBroadcastRow extends Deployment {
  clients: number;
  cold: ScaleRound;
  warm: ScaleRound;
  /** Memory per held client: (the lesson processes' RSS with every client held − at start) ÷ clients, KB. */
  rssPerClientKb: number;
  runs: number;
}

export interface ScaleHopRow extends Deployment {
  posts: number;
  p50Ms: number;
  p99Ms: number;
  runs: number;
}

/** Measure 8's stream row (without bytes), the CPU being every process under test's, and: */
export interface ScaleStreamRow extends Deployment, Omit<SseStreamRow, 'kind' | 'bytes'> {
  /** redis-server's part of cpuUs. */
  redisCpuUs: number;
  /** redis-server's CPU per message posted, µs. */
  redisCpuUsPerMessage: number;
  /** What Redis ran per message posted, by command (INFO commandstats; the bench's own INFO left out). INCR and XADD run inside the append script. */
  redisCallsPerMessage: Record<string, number>;
  /** Requests the processes sent Redis per message: every call but those the append script runs (INCR, XADD). */
  redisRequestsPerMessage: number;
  runs: number;
}

/** The figures the lesson's paper estimate needs, from the largest lesson 09 rows. */
export interface ScaleEstimate {
  /** Processes of the rows they come from. */
  processes: number;
  /** Memory per held client in one process, KB (warm broadcast row). */
  kbPerHeldClient: number;
  /** Deliveries per second one core can make: 10⁶ ÷ (CPU per delivery, µs, lesson processes and Redis together). */
  deliveriesPerSecondPerCore: number;
  /** Requests to Redis per message posted, and redis-server's CPU per message, µs, fsync included (steady stream). */
  redisRequestsPerMessage: number;
  redisCpuUsPerMessage: number;
}

export type ScaleResult =
  | { skipped: string }
  | { broadcast: ScaleBroadcastRow[]; hop: ScaleHopRow[]; stream: ScaleStreamRow[]; estimate: ScaleEstimate };

export const deploymentName = ({ kind, processes, appendfsync }: Deployment) => (kind === 'lesson04' ? 'lesson 04 alone' : `lesson 09 × ${processes}${appendfsync ? `, appendfsync ${appendfsync}` : ''}`);

const listening = /^listening (http:\/\/\S+)/;
const mainTs = path.join(projectRoot, 'solutions', '09-scale-out', 'main.ts');
/** Held polls wait up to this long: beyond any run, as in measures 2–3 (bench/servers/ours.ts). */
const HOLD_MS = '60000';
const TEXT = 'the same message for everyone, about as long as a chat line';
/** Post n's body: its number first, so that a client can tell which post a message came from whatever id Redis gave it. */
const body = (n: number) => JSON.stringify({ text: `#${n} ${TEXT}` });
const postNumber = (message: { text: string }) => Number.parseInt(message.text.slice(1), 10);

/** The processes under test, running. */
interface Servers {
  urls: string[];
  /** The lesson's processes. */
  pids: number[];
  redisPid: number | undefined;
  /** redis-server's INFO commandstats: calls by command, the bench's own INFO left out. */
  commandCalls(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** Runs the clean-ups in reverse order, each whatever the ones before did; throws the first failure after all ran. */
async function cleanUp(steps: Array<() => Promise<void> | void>): Promise<void> {
  let failure: unknown;
  for (const step of steps.splice(0).reverse()) {
    try {
      await step();
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure) throw failure;
}

async function startServers({ kind, processes, appendfsync }: Deployment, messages: number, stepLimitMs: number): Promise<Servers> {
  if (kind === 'lesson04') {
    const child = await startChild<{ url: string }>('servers/serve.ts', ['ours']);
    return { urls: [child.ready.url], pids: [child.pid], redisPid: undefined, commandCalls: async () => ({}), stop: () => child.stop() };
  }
  const steps: Array<() => Promise<void> | void> = [];
  try {
    const folder = path.join(workRoot, 'bench', 'redis');
    await mkdir(folder, { recursive: true });
    const dir = await mkdtemp(path.join(folder, 'run-'));
    steps.push(() => rm(dir, { recursive: true, force: true }));
    const redis = await startRedis({ dir, appendfsync: appendfsync ?? 'always' });
    steps.push(() => redis.stop());
    const info = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    info.on('error', () => undefined); // a failed INFO says why; the rest is noise once redis-server is stopped
    steps.push(() => info.disconnect());
    await info.connect();
    const redisPid = redis.pid;
    const historyLimit = String(Math.max(1000, messages));
    const started = await Promise.allSettled(
      Array.from({ length: processes }, (_, n) =>
        startProcess(mainTs, ['--port', '0', '--redis', redis.url, '--name', String.fromCharCode(65 + n), '--hold-ms', HOLD_MS, '--history-limit', historyLimit], listening, process.env, stepLimitMs),
      ),
    );
    for (const result of started) if (result.status === 'fulfilled') steps.push(() => stopProcess(result.value.child));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    const running = started.map((result) => (result as PromiseFulfilledResult<Awaited<ReturnType<typeof startProcess>>>).value);
    return {
      urls: running.map((p) => p.match[1]!),
      pids: running.map((p) => p.child.pid!),
      redisPid,
      async commandCalls() {
        const calls: Record<string, number> = {};
        for (const [, command, count] of (await info.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (command !== 'info') calls[command!] = Number(count);
        return calls;
      },
      stop: () => cleanUp(steps),
    };
  } catch (error) {
    await cleanUp(steps).catch(() => undefined);
    throw error;
  }
}

/** Everything one measurement has open; `close` ends it all, the servers last. */
interface Setup {
  servers: Servers;
  tally: Tally;
  rssPerClientKb: number;
  /** Resolves once every client's poll is held again (the processes' /stats summed). */
  ready(): Promise<void>;
  /** Sends post `n` through process n mod P, after noting when in `tally.postedAt[n]`; resolves with the id it was given. Posts may overlap. */
  post(n: number): Promise<number>;
  /** CPU so far of the processes under test, ns: the lesson's, and redis-server's. */
  cpu(): { lesson: number; redis: number };
  close(): Promise<void>;
}

async function setUp(deployment: Deployment, clients: number, messages: number, stepLimitMs: number): Promise<Setup> {
  const servers = await startServers(deployment, messages, stepLimitMs);
  const tally = new Tally(clients);
  const subscribers: Subscriber[] = [];
  const controls: Control[] = servers.urls.map(control);
  const close = async () => {
    for (const subscriber of subscribers) subscriber.close();
    for (const connection of controls) connection.close();
    await servers.stop();
  };
  try {
    const rss = () => servers.pids.reduce((sum, pid) => sum + rssKb(pid), 0);
    const rssAtStart = rss();
    const postedAt = (message: { text: string }) => tally.postedAt[postNumber(message)];
    await connectAll(clients, (index) => heldPoller(servers.urls[index % servers.urls.length]!, index, tally, postedAt), subscribers);
    const ready = () =>
      waitUntil(
        async () => {
          tally.throwIfWrong();
          const answers = await Promise.all(controls.map((connection) => connection.send(requestBytes('GET', '/stats'))));
          return answers.reduce((sum, answer) => sum + (JSON.parse(answer.body) as { waiting: number }).waiting, 0) >= clients;
        },
        `${clients} polls held at ${deploymentName(deployment)}`,
        stepLimitMs,
      );
    await ready();
    return {
      servers,
      tally,
      rssPerClientKb: (rss() - rssAtStart) / clients,
      ready,
      async post(n) {
        const connection = controls[n % controls.length]!;
        tally.postedAt[n] = performance.now();
        const answer = await connection.send(requestBytes('POST', '/messages', { 'content-type': 'application/json' }, body(n)));
        const id = answer.status === 201 ? (JSON.parse(answer.body) as { id?: unknown }).id : undefined;
        if (!Number.isInteger(id)) throw new Error(`POST /messages (post ${n}) was answered ${answer.status} ${answer.body.slice(0, 200)}`);
        return id as number;
      },
      cpu: () => ({ lesson: servers.pids.reduce((sum, pid) => sum + cpuNs(pid), 0), redis: servers.redisPid === undefined ? 0 : cpuNs(servers.redisPid) }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Posts `n` alone (nothing else in flight, so it must become message n), then waits for every client to have it and be held again. */
async function broadcast(setup: Setup, n: number, stepLimitMs: number): Promise<ScaleRound> {
  const { tally } = setup;
  const before = setup.cpu();
  const id = await setup.post(n);
  if (id !== n) throw new Error(`post ${n}, the only one in flight, was given id ${id}`);
  const lastAt = await tally.everyone(n, stepLimitMs);
  await setup.ready();
  const after = setup.cpu();
  const redis = after.redis - before.redis;
  return { lastMs: lastAt - tally.postedAt[n]!, cpuUs: (after.lesson - before.lesson + redis) / 1000 / tally.clients, redisCpuUs: redis / 1000 / tally.clients };
}

/**
 * Unmeasured broadcasts for `deployment`: settleRounds for each process. The JIT optimises a
 * function after so many calls, and each of P processes answers 1/P of the polls: with the
 * same number of broadcasts as lesson 04 alone, the processes would be measured while their
 * JIT is still at work.
 */
const settleRounds = (deployment: Deployment, settings: ScaleSettings) => settings.settleRounds * deployment.processes;

async function broadcastRun(deployment: Deployment, settings: ScaleSettings, stepLimitMs: number) {
  const settle = settleRounds(deployment, settings);
  const rounds = 1 + settle + settings.warmRounds;
  const setup = await setUp(deployment, settings.clients, rounds, stepLimitMs);
  try {
    const measured: ScaleRound[] = [];
    for (let n = 1; n <= rounds; n++) measured.push(await broadcast(setup, n, stepLimitMs));
    setup.tally.check(rounds);
    return { cold: measured[0]!, warm: medianRound(measured.slice(1 + settle)), rssPerClientKb: setup.rssPerClientKb };
  } finally {
    await setup.close();
  }
}

/** The Redis hop: one client, `hopPosts` posts one at a time after the unmeasured ones, post → delivery. */
async function hopRun(deployment: Deployment, settings: ScaleSettings, stepLimitMs: number) {
  const settle = settleRounds(deployment, settings);
  const posts = settle + settings.hopPosts;
  const setup = await setUp(deployment, 1, posts, stepLimitMs);
  try {
    const latencies: number[] = [];
    for (let n = 1; n <= posts; n++) {
      const { lastMs } = await broadcast(setup, n, stepLimitMs);
      if (n > settle) latencies.push(lastMs);
    }
    setup.tally.check(posts);
    return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  } finally {
    await setup.close();
  }
}

async function streamRun(deployment: Deployment, settings: ScaleSettings, stepLimitMs: number) {
  const messages = Math.round(settings.perSecond * settings.streamSeconds);
  const settle = settleRounds(deployment, settings);
  const setup = await setUp(deployment, settings.streamClients, settle + messages, stepLimitMs);
  const { tally, servers } = setup;
  try {
    for (let n = 1; n <= settle; n++) await broadcast(setup, n, stepLimitMs);
    const first = settle + 1;
    const last = settle + messages;
    tally.latencies = [];
    const callsBefore = await servers.commandCalls();
    const cpuBefore = setup.cpu();
    const clientCpuBefore = cpuNs(process.pid);
    const ids: number[] = [];
    // Through each process in turn, each pipelined on its process's connection: posts to
    // different processes may reach Redis in another order, so a client tells which post a
    // message came from by its text, not its id.
    const { posts, seconds } = await paced(messages, settings.perSecond, async (n) => void ids.push(await setup.post(first + n)), () => tally.throwIfWrong());
    await Promise.all(posts);
    const sorted = [...ids].sort((a, b) => a - b);
    if (sorted.some((id, index) => id !== first + index)) throw new Error(`the ${messages} posts were given ids ${sorted[0]} … ${sorted.at(-1)}, not each of ${first} … ${last} once`);
    await tally.everyone(last, stepLimitMs);
    await setup.ready();
    const cpuAfter = setup.cpu();
    const clientCpu = cpuNs(process.pid) - clientCpuBefore;
    const callsAfter = await servers.commandCalls();
    const deliveries = messages * tally.clients;
    tally.check(last);
    const latencies = tally.latencies;
    if (latencies.length !== deliveries) throw new Error(`${latencies.length} deliveries timed, ${deliveries} expected`);
    const redisCpu = cpuAfter.redis - cpuBefore.redis;
    const redisCallsPerMessage = Object.fromEntries(Object.entries(callsAfter).map(([command, calls]) => [command, (calls - (callsBefore[command] ?? 0)) / messages] as const).filter(([, calls]) => calls > 0));
    const redisRequestsPerMessage = Object.entries(redisCallsPerMessage).reduce((sum, [command, calls]) => (command === 'incr' || command === 'xadd' ? sum : sum + calls), 0);
    return {
      messages,
      perSecond: messages / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.reduce((max, ms) => Math.max(max, ms), 0),
      cpuUs: (cpuAfter.lesson - cpuBefore.lesson + redisCpu) / 1000 / deliveries,
      redisCpuUs: redisCpu / 1000 / deliveries,
      clientCpuUs: clientCpu / 1000 / deliveries,
      redisCpuUsPerMessage: redisCpu / 1000 / messages,
      redisCallsPerMessage,
      redisRequestsPerMessage,
    };
  } finally {
    tally.latencies = undefined;
    await setup.close();
  }
}

function medianRound(rounds: readonly ScaleRound[]): ScaleRound {
  return { lastMs: median(rounds.map((r) => r.lastMs)), cpuUs: median(rounds.map((r) => r.cpuUs)), redisCpuUs: median(rounds.map((r) => r.redisCpuUs)) };
}

/** Runs `measure` on each deployment, `runs` times, the deployments taking turns; one list of results per deployment. */
async function turns<T>(deployments: readonly Deployment[], runs: number, what: string, measure: (deployment: Deployment) => Promise<T>, describe: (result: T) => string, log: (line: string) => void): Promise<T[][]> {
  const all = deployments.map((): T[] => []);
  for (let run = 1; run <= runs; run++) {
    for (const [index, deployment] of deployments.entries()) {
      const result = await measure(deployment).catch((error: Error) => {
        throw new Error(`measure 9, ${what} at ${deploymentName(deployment)}: ${error.message}`);
      });
      log(`  ${deploymentName(deployment).padEnd(15)} ${what}, run ${run}: ${describe(result)}`);
      all[index]!.push(result);
    }
  }
  return all;
}

/** Why measure 9 cannot run here (no redis-server), or undefined. Under CI=true that is a failure, not a reason. */
export function scaleSkipReason(): string | undefined {
  const why = redisAvailable();
  if (why && process.env.CI === 'true') throw new Error(`measure 9 needs redis-server: ${why}. Under CI=true that is a failure.`);
  return why;
}

export async function measureScale(settings: ScaleSettings, log: (line: string) => void): Promise<ScaleResult> {
  const skipped = scaleSkipReason();
  if (skipped) {
    log(`  skipped: ${skipped}`);
    return { skipped };
  }
  const stepLimitMs = settings.stepLimitMs ?? 120_000;
  const alone: Deployment = { kind: 'lesson04', processes: 1 };
  const scaled = settings.processes.map((processes): Deployment => ({ kind: 'lesson09', processes }));
  const broadcasts = [alone, ...scaled];
  const fixed1 = (value: number) => value.toFixed(1);

  const broadcastRuns = await turns(
    broadcasts,
    settings.runs,
    `one broadcast to ${settings.clients} clients`,
    (deployment) => broadcastRun(deployment, settings, stepLimitMs),
    (r) => `warm ${fixed1(r.warm.cpuUs)} µs/delivery (Redis ${fixed1(r.warm.redisCpuUs)}), ${r.warm.lastMs.toFixed(0)} ms post → last, ${fixed1(r.rssPerClientKb)} KB/client`,
    log,
  );
  // The hop with Redis fsyncing once a second too: what of it is the fsync (not judged: the lesson runs `always`).
  const hops: Deployment[] = [alone, { kind: 'lesson09', processes: 1 }, { kind: 'lesson09', processes: 1, appendfsync: 'everysec' }];
  const hopRuns = await turns(hops, settings.runs, `${settings.hopPosts} posts one at a time to one client`, (deployment) => hopRun(deployment, settings, stepLimitMs), (r) => `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`, log);
  const streams = [alone, { kind: 'lesson09', processes: settings.streamProcesses } as const];
  const streamRuns = await turns(
    streams,
    settings.runs,
    `${settings.perSecond} messages/s to ${settings.streamClients} clients`,
    (deployment) => streamRun(deployment, settings, stepLimitMs),
    (r) => `${r.messages} at ${r.perSecond.toFixed(0)}/s: p50 ${fixed1(r.p50Ms)} ms, p99 ${fixed1(r.p99Ms)} ms, ${fixed1(r.cpuUs)} µs/delivery (Redis ${fixed1(r.redisCpuUs)}; clients ${fixed1(r.clientCpuUs)}), ${r.redisRequestsPerMessage.toFixed(2)} Redis requests/message`,
    log,
  );

  const broadcast = broadcasts.map((deployment, index): ScaleBroadcastRow => {
    const all = broadcastRuns[index]!;
    return { ...deployment, clients: settings.clients, cold: medianRound(all.map((r) => r.cold)), warm: medianRound(all.map((r) => r.warm)), rssPerClientKb: median(all.map((r) => r.rssPerClientKb)), runs: all.length };
  });
  const hop = hops.map((deployment, index): ScaleHopRow => {
    const all = hopRuns[index]!;
    return { ...deployment, posts: settings.hopPosts, p50Ms: median(all.map((r) => r.p50Ms)), p99Ms: median(all.map((r) => r.p99Ms)), runs: all.length };
  });
  const stream = streams.map((deployment, index): ScaleStreamRow => {
    const all = streamRuns[index]!;
    type Figure = 'perSecond' | 'p50Ms' | 'p99Ms' | 'maxMs' | 'cpuUs' | 'redisCpuUs' | 'clientCpuUs' | 'redisCpuUsPerMessage' | 'redisRequestsPerMessage';
    const of = (key: Figure) => median(all.map((r) => r[key]));
    const commands = [...new Set(all.flatMap((r) => Object.keys(r.redisCallsPerMessage)))].sort();
    return {
      ...deployment,
      clients: settings.streamClients,
      messages: all[0]!.messages,
      targetPerSecond: settings.perSecond,
      perSecond: of('perSecond'),
      p50Ms: of('p50Ms'),
      p99Ms: of('p99Ms'),
      maxMs: of('maxMs'),
      cpuUs: of('cpuUs'),
      redisCpuUs: of('redisCpuUs'),
      clientCpuUs: of('clientCpuUs'),
      redisCpuUsPerMessage: of('redisCpuUsPerMessage'),
      redisCallsPerMessage: Object.fromEntries(commands.map((command) => [command, median(all.map((r) => r.redisCallsPerMessage[command] ?? 0))])),
      redisRequestsPerMessage: of('redisRequestsPerMessage'),
      runs: all.length,
    };
  });
  const widest = broadcast.at(-1)!;
  const streamed = stream.at(-1)!;
  const estimate: ScaleEstimate = {
    processes: widest.processes,
    kbPerHeldClient: widest.rssPerClientKb,
    deliveriesPerSecondPerCore: 1e6 / widest.warm.cpuUs,
    redisRequestsPerMessage: streamed.redisRequestsPerMessage,
    redisCpuUsPerMessage: streamed.redisCpuUsPerMessage,
  };
  return { broadcast, hop, stream, estimate };
}
