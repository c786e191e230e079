/**
 * The benchmark's figures as Markdown: what was run, where, and every table with its
 * ratios. bench/RESULTS.md is this, from the last full run.
 *
 * @module
 */
import { serverNames } from './chart.ts';
import type { ChatHistoryResult, ChatResult, FloodResult } from './chat.ts';
import type { FanoutResult } from './fanout.ts';
import type { GradingResult, RecordingCost } from './grading.ts';
import type { PollingResult } from './polling.ts';
import { RELAY_IN_FLIGHT, type RelayPath, type RelayRow } from './relay.ts';
import type { ServerKind } from './servers/serve.ts';
import { deploymentName, type ScaleResult } from './scale.ts';
import type { SseKind, SseResult } from './sse.ts';

/** The servers of measure 6, in the order of its table: the lesson, the peer, the reference. */
export const bayeuxKinds = ['lesson06', 'faye', 'ours'] as const satisfies readonly ServerKind[];

export interface Results {
  command: string;
  date: string;
  machine: string;
  node: string;
  commit: string;
  settings: Record<string, unknown>;
  seconds?: number;
  polling?: PollingResult[];
  fanout?: FanoutResult[];
  chat?: ChatResult;
  loginFlood?: FloodResult[];
  grading?: GradingResult[];
  recording?: RecordingCost[];
  bayeux?: FanoutResult[];
  relay?: RelayRow[];
  sse?: SseResult;
  scale?: ScaleResult;
}

const fixed = (value: number, digits = 0) => value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (value: number, reference: number) => `${(value / reference).toFixed(2)}×`;
const table = (head: readonly string[], rows: ReadonlyArray<readonly string[]>) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

function pollingSection(results: readonly PollingResult[]): string {
  const name = { lesson01: 'naive polling every 1 s (lesson 01)', ours: 'held requests (lesson 04)' } as const;
  const scenarios = [...new Set(results.map((r) => r.messageEveryMs))];
  const tables = scenarios.map((every) => {
    const rows = results.filter((r) => r.messageEveryMs === every);
    const first = rows[0]!;
    return `### ${first.clients} clients, a message every ${every / 1000} s (${first.messages} messages)

${table(
  ['', 'delivered', 'requests per delivery', 'bytes per delivery', 'latency p50', 'latency p99'],
  rows.map((r) => [name[r.kind], `${fixed(r.delivered)} of ${fixed(r.expected)}`, fixed(r.requestsPerDelivery, 2), fixed(r.bytesPerDelivery), `${fixed(r.p50Ms, 1)} ms`, `${fixed(r.p99Ms, 1)} ms`]),
)}`;
  });
  return `## 1. Polling against held requests

The lessons' own client code in one process, the server in another. Requests and bytes (both directions, HTTP headers included, counted on the server's sockets) per delivered message; latency from the post to each client having it. Naive polling asks every second whatever happens, and answers with every message every time, so its costs grow when messages are rare and as the history grows; held requests cost one request per message and send each message once.

${tables.join('\n\n')}`;
}

/** One row per server at one count: CPU, post → last and memory, and each as a ratio to lesson 04 (`ours`). */
function serversTable(results: readonly FanoutResult[], count: number, post = 'post'): string {
  const rows = results.filter((r) => r.count === count);
  const ours = rows.find((r) => r.kind === 'ours')!;
  return table(
    ['server', 'µs CPU per delivery, cold: window / cycle', 'warm: window / cycle', `ms ${post} → last, cold / warm`, 'KB RSS per held', `their ÷ lesson 04's: CPU cycle · ${post} → last · RSS`],
    rows.map((r) => [
      serverNames[r.kind] ?? r.kind,
      `${fixed(r.cold.windowUs)} / ${fixed(r.cold.cycleUs)}`,
      `${fixed(r.warm.windowUs)} / ${fixed(r.warm.cycleUs)}`,
      `${fixed(r.cold.lastMs)} / ${fixed(r.warm.lastMs)}`,
      fixed(r.rssPerHeldKb, 1),
      r.kind === 'ours' ? '—' : `${ratio(r.warm.cycleUs, ours.warm.cycleUs)} · ${ratio(r.warm.lastMs, ours.warm.lastMs)} · ${ratio(r.rssPerHeldKb, ours.rssPerHeldKb)}`,
    ]),
  );
}

function fanoutSection(results: readonly FanoutResult[]): string {
  const counts = [...new Set(results.map((r) => r.count))];
  const of = (kind: string, count: number) => results.find((r) => r.kind === kind && r.count === count);
  const tables = counts.map((count) => `### ${fixed(count)} held clients

${serversTable(results, count)}`);
  const targets = counts.map((count) => {
    const ours = of('ours', count)!;
    const bare = of('bare', count)!;
    return [fixed(count), ratio(ours.warm.cycleUs, bare.warm.cycleUs), ratio(ours.warm.lastMs, bare.warm.lastMs), ratio(ours.rssPerHeldKb, bare.rssPerHeldKb)];
  });
  const runs = results[0]!.runs;
  return `## 2–3. Fan-out: one message to every held client

The lesson 04 solution (plain node:http, each message serialised once) against lesson 03's (Express, \`res.json\` for each poll), a bare node:http server (the limit of this machine: one \`JSON.stringify\`, the same bytes to every waiter, no time limits), Socket.IO with only its polling transport, and Faye with long-polling. A fresh server per run, the clients in a separate process speaking each protocol over the same node:http client; ${runs} run${runs > 1 ? 's' : ''} per server and count, the servers taking turns, median over the runs. **Cold** is the first broadcast (it pays for JIT compilation); **warm** the median of the measured broadcasts that follow a few unmeasured ones (the JIT keeps optimising for a while).

Server CPU is read from /proc/PID/task/*/schedstat, summed over all the server's threads, and divided by the number of clients: over the **window** (post → the last client has the message) and the full **cycle** (post → every client held again, their re-polls included). Memory is (RSS with every client held − RSS at start) ÷ clients.

![fan-out chart](chart.svg)

### Lesson 04 against the bare reference (target: within 1.20×)

${table(['held clients', 'CPU per delivery (cycle)', 'post → last', 'RSS per held'], targets)}

${tables.join('\n\n')}`;
}

function chatSection(chat: ChatResult): string {
  const histories = chat.histories;
  const empty = histories.find((h) => h.history === 0) ?? histories[0]!;
  const run = (h: ChatHistoryResult, inFlight: number) => h.runs.find((r) => r.inFlight === inFlight)!;
  const rows = histories.map((h) => [
    fixed(h.history),
    fixed(h.snapshotMb, 1),
    ...[1, 8, 64].map((n) => fixed(run(h, n).perSecond)),
    ...[1, 8, 64].map((n) => `${fixed(run(h, n).amortisedBytesPerAck)} (${fixed(run(h, n).bytesPerAck)})`),
    `${fixed(h.startSeconds, 1)} s`,
    fixed(h.rssMb),
  ]);
  const goals: string[][] = [
    ['≥ 1,000 acknowledged/s, 1 in flight, empty history', fixed(run(empty, 1).perSecond), yes(run(empty, 1).perSecond >= 1000)],
    ['≥ 5,000 acknowledged/s, 64 in flight, empty history', fixed(run(empty, 64).perSecond), yes(run(empty, 64).perSecond >= 5000)],
  ];
  for (const h of histories.filter((h) => h !== empty)) {
    for (const n of [1, 8, 64]) {
      const slower = run(empty, n).perSecond / run(h, n).perSecond;
      goals.push([`${fixed(h.history)} messages, ${n} in flight: within 1.2× of empty`, `${slower.toFixed(2)}× slower`, yes(slower <= 1.2)]);
      const bytes = run(h, n).amortisedBytesPerAck / run(empty, n).amortisedBytesPerAck;
      goals.push([`${fixed(h.history)} messages, ${n} in flight: bytes per acknowledgement within 1.5× of empty`, `${bytes.toFixed(2)}×`, yes(bytes <= 1.5)]);
    }
  }
  const ceiling = chat.ceiling
    ? `

The ceiling on this machine: Express parsing the same JSON bodies and answering 201 with no work at all (no session, no database, no disk), sent by the same client: ${chat.ceiling.map((c) => `${fixed(c.perSecond)}/s with ${c.inFlight} in flight`).join(', ')}.`
    : '';
  const snapshot = chat.snapshot;
  if (snapshot) {
    goals.push([`event loop during a snapshot of ${fixed(snapshot.history)} messages ≤ 50 ms`, `${fixed(snapshot.maxLoopDelayMs, 1)} ms`, yes(snapshot.maxLoopDelayMs <= 50)]);
    goals.push([`start from ${fixed(snapshot.history)} messages ≤ 10 s, with the longest journal`, `${fixed(snapshot.fullJournalStartSeconds, 1)} s`, yes(snapshot.fullJournalStartSeconds <= 10)]);
  }
  const snapshotText = snapshot
    ? `

At ${fixed(snapshot.history)} messages, in the bench's own process: the store opened (snapshot loaded, short journal replayed) in ${fixed(snapshot.openSeconds, 1)} s. A snapshot (${fixed(snapshot.snapshotMb, 1)} MB) took ${fixed(snapshot.snapshotSeconds, 1)} s in its worker thread while ${fixed(snapshot.commitsDuring)} messages were committed one after another; the event loop's longest stall meanwhile was ${fixed(snapshot.maxLoopDelayMs, 1)} ms (p99 ${fixed(snapshot.p99LoopDelayMs, 1)} ms). With the longest journal there can be (${fixed(snapshot.fullJournalMb, 1)} MB, as long as the snapshot: one more write starts a snapshot), the process started in ${fixed(snapshot.fullJournalStartSeconds, 1)} s.`
    : '';
  return `## 4. The chat: durable writes at any size of history

The lesson 05 solution as a process of its own, its database on the project's disk: each 201 means the message's journal record is written and \`fdatasync\` has returned. The history is stored first (straight into the store, then folded into a snapshot); then one sender keeps 1, 8 or 64 messages in flight over keep-alive connections (group commit lets one sync carry many). Bytes are the server process's \`write_bytes\` (/proc/PID/io) per acknowledged send, **amortised**: the journal's own bytes in the run (write_bytes less the snapshots the server reported meanwhile), plus the snapshots' share: a snapshot of S bytes is written once per S bytes of journal records (and not before 4 MB), so each send adds S × (its record bytes) ÷ max(S, 4 MB). In brackets, what the run itself wrote, which jumps when a snapshot happens to fall inside it. A journal append dirties at least one 4 KB page per sync, which is most of the figure with one in flight. Start: from spawning the process (Node and tsx start included) to "listening". RSS: the server after the sends; sql.js keeps the whole database in memory.

${table(['history (messages)', 'snapshot MB', 'acked/s, 1 in flight', '8', '64', 'bytes per ack, amortised (this run), 1 in flight', '8', '64', 'start', 'RSS MB'], rows)}${ceiling}${snapshotText}

### Goals (issue 14)

${table(['goal', 'measured', 'met'], goals)}`;
}

const yes = (met: boolean) => (met ? 'yes' : '**no**');

function floodSection(results: readonly FloodResult[]): string {
  const answers = (r: FloodResult) => Object.entries(r.answers).sort().map(([status, count]) => `${count} × ${status}`).join(', ') || '—';
  return `## 4b. The chat under a flood of logins

Every login costs a scrypt hash, slow on purpose; scrypt and the disk writes that acknowledge messages share Node's thread pool. The lesson 05 solution runs as a process of its own; ${results[1]?.logins ?? 0} logins with wrong passwords arrive at once from one address while another user sends messages one at a time. Target: p99 ≤ 250 ms for those sends.

${table(['defences', 'logins at once', 'how they were answered', 'sends acknowledged meanwhile', 'p50', 'p99', 'max'], results.map((r) => [r.defences, fixed(r.logins), answers(r), fixed(r.sends), `${fixed(r.p50Ms, 1)} ms`, `${fixed(r.p99Ms, 1)} ms`, `${fixed(r.maxMs, 1)} ms`]))}`;
}

function gradingSection(results: readonly GradingResult[]): string {
  return `## 5. Grading speed

${table(['command', 'submissions', 'wall time', 'per submission', 'points'], results.map((r) => [`\`${r.what}\``, String(r.submissions), `${fixed(r.seconds, 1)} s`, `${fixed(r.seconds / r.submissions, 1)} s`, `${r.points} / ${r.maxPoints}`]))}`;
}

function recordingSection(results: readonly RecordingCost[]): string {
  return `## 5b. What the failure timelines cost

Every test records its HTTP exchanges (issue 20), and a failed one keeps and draws them. The same gradings with the recorder on and off (\`COMET_RECORDING=off\`), taking turns, ${results[0]?.rounds ?? 0} round(s), the median wall time of each. Goal: within 5 %.

${table(['grading', 'recorder on', 'recorder off', 'on ÷ off', 'within 5 %'], results.map((r) => [r.what, `${fixed(r.on, 1)} s`, `${fixed(r.off, 1)} s`, `${fixed(r.on / r.off, 3)}×`, r.on / r.off <= 1.05 ? 'yes' : '**no**']))}`;
}

/** The three measures of issue 15's goals: lower is better for each. */
const bayeuxMeasures: ReadonlyArray<readonly [name: string, value: (r: FanoutResult) => number, unit: string, digits: number]> = [
  ['server CPU per delivery (warm cycle)', (r) => r.warm.cycleUs, 'µs', 0],
  ['publish → last delivery (warm)', (r) => r.warm.lastMs, 'ms', 0],
  ['RSS per held client', (r) => r.rssPerHeldKb, 'KB', 1],
];

function bayeuxSection(results: readonly FanoutResult[]): string {
  const count = results[0]!.count;
  const [lesson, faye, ours] = bayeuxKinds.map((kind) => results.find((r) => r.kind === kind)!);
  const goals = bayeuxMeasures.flatMap(([name, value, unit, digits]) => [
    [`${name}: lesson 06 within 1.20× of lesson 04`, `${fixed(value(lesson!), digits)} ${unit} ÷ ${fixed(value(ours!), digits)} ${unit} = ${ratio(value(lesson!), value(ours!))}`, yes(value(lesson!) <= 1.2 * value(ours!))],
    [`${name}: lesson 06 ahead of Faye`, `${fixed(value(lesson!), digits)} ${unit} against ${fixed(value(faye!), digits)} ${unit}`, yes(value(lesson!) < value(faye!))],
  ]);
  const runs = results[0]!.runs;
  return `## 6. Bayeux: one publish to every subscriber of a channel

${fixed(count)} clients each handshake, subscribe to one channel and hold a \`/meta/connect\` (long-polling; the bench's clients speak the Bayeux wire themselves over the same node:http client as in the fan-out, so the clients cost the same whatever the server). Then one message is published on that channel as a Bayeux publish (\`POST /bayeux\`), and every client has it and connects again. The lesson 06 solution and Faye 1.4's own server (\`faye.NodeAdapter\`), both holding a connect for up to 60 s, against the lesson 04 solution as the bare reference, which gets the same message by \`POST /messages\` and answers its held polls. Lesson 06's limit of 1,000 clients per address is lifted for the bench (every client comes from 127.0.0.1). Measured as in the fan-out (2–3): a fresh server per run, ${runs} run${runs > 1 ? 's' : ''} per server, the servers taking turns, median over the runs; CPU from /proc over the window and the cycle; memory per held client includes its session and subscription.

${serversTable(results, count, 'publish')}

### Goals (issue 15)

${table(['goal', 'measured', 'met'], goals)}`;
}

const relayPaths: Record<RelayPath, string> = {
  direct: 'direct: express beside the database',
  relay: 'through the relay (agent --batch 64)',
  'relay-batch-1': 'through the relay, agent --batch 1',
  'relay-fetch': 'through the relay, callers with createCaller (fetch)',
};

function relaySection(rows: readonly RelayRow[]): string {
  const find = (path: RelayPath, inFlight: number) => rows.find((r) => r.path === path && r.inFlight === inFlight);
  const goals: string[][] = RELAY_IN_FLIGHT.flatMap((n) => {
    const [relay, direct] = [find('relay', n), find('direct', n)];
    if (!relay || !direct) return [];
    const overhead = relay.p50Ms - direct.p50Ms;
    return [[`p50 overhead over the direct call ≤ 1 ms, ${n} in flight`, `${fixed(relay.p50Ms, 2)} − ${fixed(direct.p50Ms, 2)} = ${fixed(overhead, 2)} ms`, yes(overhead <= 1)]];
  });
  const busiest = find('relay', 64);
  if (busiest) goals.push(['≥ 2,000 queries/s with 64 in flight', `${fixed(busiest.perSecond)}/s`, yes(busiest.perSecond >= 2000)]);
  const cpu = (r: RelayRow) => (r.path === 'direct' ? fixed(r.cpuUsPerQuery) : `${fixed(r.cpuUsPerQuery)} (${fixed(r.relayCpuUsPerQuery)} + ${fixed(r.cpuUsPerQuery - r.relayCpuUsPerQuery)})`);
  return `## 7. The relay through a firewall: the round trip

Lesson 07's solution: a caller's query goes to the relay and waits there; the agent's held poll carries it in; the agent runs it on its database (sql.js, in memory) and posts the answer back; the relay hands it to the caller. The relay (\`main.ts\`) and the agent (\`agent.ts\`, its own command line, \`--batch 64\`) run as processes of their own; the callers are in the bench's process, one keep-alive connection per query in flight, over a lean HTTP client (a fraction of \`fetch\`'s CPU per request), each sending what \`createCaller\` sends: \`customerById\` for customers 1 to 5 in turn, with the API key, every answer checked (status 200, the customer asked for). The direct path is what you would run with no firewall: an express app beside the same database module, the same body and the same API-key check, as a process of its own. Latency from sending the request to having the whole answer. CPU of the processes under test, from /proc, per query: relay + agent (each in brackets), or the direct server. On 2 shared cores the relay, the agent and the callers take turns on the CPU, so queueing shows in the latency as more are in flight. Two more kinds of row: callers that are the lesson's own \`createCaller\` over Node's \`fetch\` (what its CPU costs shows in their latency, as they share the machine), and an agent that takes one query per poll and posts each answer alone (\`--batch 1\`): what batching saves. The goals are judged on the lean callers' rows.

${table(
  ['path', 'in flight', 'queries', 'queries/s', 'p50', 'p99', 'µs CPU per query'],
  rows.map((r) => [relayPaths[r.path], String(r.inFlight), fixed(r.queries), fixed(r.perSecond), `${fixed(r.p50Ms, 2)} ms`, `${fixed(r.p99Ms, 2)} ms`, cpu(r)]),
)}

### Goals (issue 16)

${table(['goal', 'measured', 'met'], goals)}`;
}

const sseNames: Record<SseKind, string> = {
  lesson08: 'event streams (lesson 08)',
  lesson04: 'held long polls (lesson 04)',
  'bare-sse': 'bare SSE (node:http)',
};

function sseSection({ broadcast, stream }: SseResult): string {
  const [sse, polls, bare] = (['lesson08', 'lesson04', 'bare-sse'] as const).map((kind) => ({ broadcast: broadcast.find((r) => r.kind === kind)!, stream: stream.find((r) => r.kind === kind)! }));
  const measures: ReadonlyArray<readonly [name: string, value: (row: typeof sse) => number, unit: string, digits: number]> = [
    ['server CPU per delivery (warm broadcast)', (r) => r.broadcast.warm.cpuUs, 'µs', 1],
    ['bytes on the wire per delivered message (warm broadcast)', (r) => r.broadcast.warm.bytes, 'bytes', 0],
    ['post → last delivery (warm broadcast)', (r) => r.broadcast.warm.lastMs, 'ms', 0],
    ['RSS per client', (r) => r.broadcast.rssPerClientKb, 'KB', 1],
    [`latency p50, ${fixed(sse!.stream.targetPerSecond)} messages/s`, (r) => r.stream.p50Ms, 'ms', 1],
    [`latency p99, ${fixed(sse!.stream.targetPerSecond)} messages/s`, (r) => r.stream.p99Ms, 'ms', 1],
  ];
  const measured = (row: typeof sse, [, value, unit, digits]: (typeof measures)[number]) => `${fixed(value(row!), digits)} ${unit}`;
  const goals: string[][] = [
    ...measures.slice(0, 2).map((m) => [`${m[0]}: lesson 08 ≤ lesson 04`, `${measured(sse, m)} against ${measured(polls, m)}`, yes(m[1](sse!) <= m[1](polls!))]),
    ...measures.map((m) => [`${m[0]}: lesson 08 within 1.20× of bare SSE`, `${measured(sse, m)} ÷ ${measured(bare, m)} = ${ratio(m[1](sse!), m[1](bare!))}`, yes(m[1](sse!) <= 1.2 * m[1](bare!))]),
    [`latency p99 ≤ 20 ms at ${fixed(sse!.stream.clients)} clients and ${fixed(sse!.stream.targetPerSecond)} messages/s`, `${fixed(sse!.stream.p99Ms, 1)} ms (bare SSE: ${fixed(bare!.stream.p99Ms, 1)} ms)`, yes(sse!.stream.p99Ms <= 20)],
  ];
  const first = broadcast[0]!;
  const streamed = stream[0]!;
  return `## 8. Server-Sent Events: one stream per client against held long polls

The same messages to the same number of clients three ways: the lesson 08 solution's event streams (\`main.ts\`, heartbeats and the maximum stream age set beyond the run, the slow-reader limit raised to 64 MB: the bench measures delivery, not the cut), the lesson 04 solution's held long polls (as in 2–3), and a bare node:http SSE server (\`bench/servers/bare-sse.ts\`: the same headers, no history, no heartbeat, no limits; one \`write\` of the same bytes to every stream), the limit of this machine. Each server is a process of its own, fresh for every run; the clients are lean ones on raw sockets in the bench's process (an event-stream parser; for the polls, a keep-alive connection asking again at once with the last id it has), so that the servers, not the clients, are what is measured. Every delivery is checked: each client gets each message once, in order, or the measure stops with an error. ${first.runs} run${first.runs > 1 ? 's' : ''} per server, the servers taking turns, median over the runs.

Bytes on the wire are what the clients' sockets read and wrote per delivered message, HTTP heads and chunk sizes included: for a poll its whole answer and the re-poll it causes (a minimal \`GET\` with only \`Host\`: a browser's carries several hundred bytes more), for a stream the event. Server CPU is read from /proc as in 2–3, from the post until every client is ready for the next message (the polls held again), divided by the clients.

### One broadcast to ${fixed(first.clients)} clients

${table(
  ['server', 'µs CPU per delivery, cold / warm', 'ms post → last, cold / warm', 'bytes per delivered message, warm', 'KB RSS per client', "÷ bare SSE's: CPU · post → last · bytes · RSS"],
  broadcast.map((r) => [
    sseNames[r.kind],
    `${fixed(r.cold.cpuUs, 1)} / ${fixed(r.warm.cpuUs, 1)}`,
    `${fixed(r.cold.lastMs)} / ${fixed(r.warm.lastMs)}`,
    fixed(r.warm.bytes),
    fixed(r.rssPerClientKb, 1),
    r.kind === 'bare-sse' ? '—' : [ratio(r.warm.cpuUs, bare!.broadcast.warm.cpuUs), ratio(r.warm.lastMs, bare!.broadcast.warm.lastMs), ratio(r.warm.bytes, bare!.broadcast.warm.bytes), ratio(r.rssPerClientKb, bare!.broadcast.rssPerClientKb)].join(' · '),
  ]),
)}

### ${fixed(streamed.messages)} messages, ${fixed(streamed.targetPerSecond)} a second, to ${fixed(streamed.clients)} clients

After a few unmeasured broadcasts, the messages are posted at a steady pace whatever the server does: on one keep-alive connection, pipelined, none waiting for the 201 of the one before (so a server that cannot keep up shows it in the latency). Latency is from writing a post to a client having the message, over every delivery. A poll that finds several messages waiting carries them all in one answer, so its bytes and CPU per delivery fall as messages come faster than the polls return; its latency rises. The clients' CPU (the bench's process, /proc) is shown beside the server's: on two cores they share the machine, and when both together need more than it has, the latency shows it, for the bare server too.

${table(
  ['server', 'messages/s posted', 'deliveries', 'latency p50', 'p99', 'max', 'µs CPU per delivery: server / clients', 'bytes per delivery'],
  stream.map((r) => [sseNames[r.kind], fixed(r.perSecond), fixed(r.messages * r.clients), `${fixed(r.p50Ms, 1)} ms`, `${fixed(r.p99Ms, 1)} ms`, `${fixed(r.maxMs, 1)} ms`, `${fixed(r.cpuUs, 1)} / ${fixed(r.clientCpuUs, 1)}`, fixed(r.bytes)]),
)}

### Goals (issue 17)

${table(['goal', 'measured', 'met'], goals)}`;
}

/** The paper estimate for a million held clients, each getting one message a second, from measure 9's figures, with the arithmetic. */
export function millionEstimate({ processes, kbPerHeldClient, deliveriesPerSecondPerCore, redisRequestsPerMessage, redisCpuUsPerMessage }: Extract<ScaleResult, { estimate: unknown }>['estimate']): string {
  const clients = 1_000_000;
  const cores = Math.ceil(clients / deliveriesPerSecondPerCore);
  const perProcess = Math.ceil(clients / cores);
  const gb = (clients * kbPerHeldClient) / 1024 / 1024;
  const requests = 1 + cores;
  return `A million held clients, one message a second each (one broadcast a second to all of them), would need:

- **${fixed(cores)} cores**: 1,000,000 deliveries/s ÷ ${fixed(deliveriesPerSecondPerCore)} per core (10⁶ ÷ the ${fixed(1e6 / deliveriesPerSecondPerCore, 1)} µs of CPU per delivery at ${processes} processes, Redis included), so ${fixed(cores)} processes of ${fixed(perProcess)} clients;
- **${fixed(gb, 1)} GB** for the held polls: 1,000,000 × ${fixed(kbPerHeldClient, 1)} KB per held client (${fixed((perProcess * kbPerHeldClient) / 1024)} MB per process);
- at Redis, **1 + ${fixed(cores)} = ${fixed(requests)} requests per message** (the append, then one read by each process; ${fixed(redisRequestsPerMessage, 2)} measured at ${processes} processes, where a read may carry several messages): ${fixed(requests)} requests a second. Redis spent ${fixed(redisCpuUsPerMessage)} µs of CPU per message at ${processes} processes, the fsync included; its work grows with the processes, not with the clients.

A paper estimate: the figures measured at ${processes} processes on this machine, assumed to hold at any scale.`;
}

function scaleSection(result: ScaleResult): string {
  const heading = '## 9. Scale-out through Redis: several processes, one redis-server';
  if ('skipped' in result) return `${heading}\n\nSkipped: ${result.skipped}.`;
  const { broadcast, hop, stream, estimate } = result;
  const alone = broadcast.find((r) => r.kind === 'lesson04')!;
  const [hop04, hop09] = [hop.find((r) => r.kind === 'lesson04')!, hop.find((r) => r.kind === 'lesson09' && !r.appendfsync)!];
  const scaled = stream.find((r) => r.kind === 'lesson09')!;
  const added = hop09.p50Ms - hop04.p50Ms;
  const goals: string[][] = [
    ['the Redis hop adds ≤ 1 ms at p50 (one client, one post at a time)', `${fixed(hop09.p50Ms, 2)} − ${fixed(hop04.p50Ms, 2)} = ${fixed(added, 2)} ms`, yes(added <= 1)],
    [`latency p99 ≤ 50 ms at ${fixed(scaled.targetPerSecond)} messages/s, ${fixed(scaled.clients)} clients over ${scaled.processes} processes`, `${fixed(scaled.p99Ms, 1)} ms`, yes(scaled.p99Ms <= 50)],
    ...broadcast
      .filter((r) => r.kind === 'lesson09')
      .map((r) => [`CPU per delivery within 1.5× of lesson 04 alone: ${deploymentName(r)}`, `${fixed(r.warm.cpuUs, 1)} µs ÷ ${fixed(alone.warm.cpuUs, 1)} µs = ${ratio(r.warm.cpuUs, alone.warm.cpuUs)}`, yes(r.warm.cpuUs <= 1.5 * alone.warm.cpuUs)]),
  ];
  const calls = (r: (typeof stream)[number]) =>
    r.kind === 'lesson04'
      ? '—'
      : `${fixed(r.redisRequestsPerMessage, 2)} (${Object.entries(r.redisCallsPerMessage)
          .map(([command, count]) => `${command.toUpperCase()} ${fixed(count, 2)}`)
          .join(', ')})`;
  const runs = alone.runs;
  return `${heading}

The lesson 09 solution (\`main.ts\`) as 1, 2 and 3 processes of their own on one private redis-server (\`shared/redis.ts\`: AOF on, \`appendfsync always\`, its folder on the project's disk, so every 201 waited for an fsync), against the lesson 04 solution alone (one process, no Redis) as the reference. The clients are measure 8's lean held polls in the bench's process, client *i* held at process *i* mod *P* (the API is lesson 04's); the posts go through each process in turn. Every delivery is checked: each client gets each message once, in order, or the measure stops with an error. Before the measured broadcasts, as many unmeasured ones **for each process** as lesson 04 alone gets (each of *P* processes answers 1/*P* of the polls, and the JIT optimises a function after so many calls: with fewer, the processes would be measured while it is still at work). A fresh redis-server and fresh processes for every run; ${runs} run${runs > 1 ? 's' : ''} each, taking turns, median over the runs. CPU is read from /proc as in 2–3 for **every lesson process and redis-server together** (Redis's part in brackets), from the post until every client is held again, per delivery; memory is the lesson processes' RSS (with every client held − at start) ÷ clients. On 2 cores, 3 processes, redis-server and the clients share the machine.

### One broadcast to ${fixed(alone.clients)} held clients

${table(
  ['server', 'µs CPU per delivery, cold / warm (Redis, warm)', 'ms post → last, cold / warm', 'KB RSS per held client', "÷ lesson 04 alone's: CPU · post → last · RSS"],
  broadcast.map((r) => [
    deploymentName(r),
    `${fixed(r.cold.cpuUs, 1)} / ${fixed(r.warm.cpuUs, 1)} (${fixed(r.warm.redisCpuUs, 2)})`,
    `${fixed(r.cold.lastMs)} / ${fixed(r.warm.lastMs)}`,
    fixed(r.rssPerClientKb, 1),
    r === alone ? '—' : [ratio(r.warm.cpuUs, alone.warm.cpuUs), ratio(r.warm.lastMs, alone.warm.lastMs), ratio(r.rssPerClientKb, alone.rssPerClientKb)].join(' · '),
  ]),
)}

### The Redis hop: one client, one post at a time

Each post waits for the client to have it and to be held again. For lesson 09 the post is appended in Redis (a script: INCR and XADD) and, with \`appendfsync always\`, fsynced to the AOF before Redis answers anyone, the 201's EVAL and the process's blocked XREAD that carries the message to the held poll alike: the hop includes an fsync on the project's disk. The row with \`appendfsync everysec\` (not judged: the lesson acknowledges only what is on disk) shows what is the fsync and what is Redis.

${table(['server', 'posts', 'post → delivery p50', 'p99'], hop.map((r) => [deploymentName(r), fixed(r.posts), `${fixed(r.p50Ms, 2)} ms`, `${fixed(r.p99Ms, 2)} ms`]))}

### ${fixed(scaled.messages)} messages, ${fixed(scaled.targetPerSecond)} a second, to ${fixed(scaled.clients)} clients

After a few unmeasured broadcasts, posts at a steady pace whatever the servers do, each through the next process in turn, pipelined on that process's connection (none waits for its 201). Latency from writing a post to each client having it, over every delivery. Redis's calls per message are from INFO commandstats (the bench's own INFO left out); the requests are every call but those the append script makes (INCR, XADD).

${table(
  ['server', 'messages/s posted', 'deliveries', 'latency p50', 'p99', 'max', 'µs CPU per delivery: servers (Redis) / clients', 'Redis requests per message (calls)'],
  stream.map((r) => [deploymentName(r), fixed(r.perSecond), fixed(r.messages * r.clients), `${fixed(r.p50Ms, 1)} ms`, `${fixed(r.p99Ms, 1)} ms`, `${fixed(r.maxMs, 1)} ms`, `${fixed(r.cpuUs, 1)} (${fixed(r.redisCpuUs, 2)}) / ${fixed(r.clientCpuUs, 1)}`, calls(r)]),
)}

### Goals (issue 18)

${table(['goal', 'measured', 'met'], goals)}

### A million held clients, on paper

${millionEstimate(estimate)}`;
}

export function resultsMarkdown(results: Results): string {
  const sections = [
    results.polling && pollingSection(results.polling),
    results.fanout && fanoutSection(results.fanout),
    results.chat && chatSection(results.chat),
    results.loginFlood && floodSection(results.loginFlood),
    results.grading && gradingSection(results.grading),
    results.recording && recordingSection(results.recording),
    results.bayeux && bayeuxSection(results.bayeux),
    results.relay && relaySection(results.relay),
    results.sse && sseSection(results.sse),
    results.scale && scaleSection(results.scale),
  ].filter((section): section is string => Boolean(section));
  return `# Benchmark results

\`${results.command}\` on ${results.date}, commit ${results.commit}, ${results.seconds ?? '?'} s in all.
Machine: ${results.machine}; Node ${results.node}. Everything on 127.0.0.1; the figures move by
10–20 % from run to run on a shared machine, so compare servers within one run.

${sections.join('\n\n')}
`;
}
