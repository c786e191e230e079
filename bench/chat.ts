/**
 * Measure 4: the chat's durable writes (lesson 05's reference, journal and snapshots) at
 * several sizes of history: acknowledged sends per second with 1, 8 and 64 in flight, the
 * bytes the server process wrote to storage per acknowledged send (/proc/PID/io
 * write_bytes: the journal, and any snapshot made meanwhile), the time from starting the
 * process to "listening", and its resident memory. Each 201 means "on disk": the journal
 * record was written and fdatasync returned.
 *
 * The history is written straight into the store (the lesson's own ChatStore, committed in
 * batches, then a snapshot), not through HTTP, which would take minutes for a million. The
 * server runs as a process of its own on that folder; the senders are node:http keep-alive
 * connections from this process.
 *
 * Two more figures at the largest history, measured in this process: the event loop's
 * longest stall (perf_hooks.monitorEventLoopDelay) while a snapshot is made and messages keep
 * being committed, and the time to start when the journal is as long as it ever gets (a
 * snapshot: the next write would start a snapshot).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { projectRoot, workRoot } from '../shared/paths.ts';
import { client } from './lib/http.ts';
import { leanConnection, requestBytes } from './lib/lean-http.ts';
import { rssKb } from './lib/proc.ts';
import { startProcess, stopProcess } from './lib/spawn.ts';
import { percentile } from './lib/stats.ts';
import { encodeRecord } from '../solutions/05-chat/journal.ts';
import { readName } from '../solutions/05-chat/names.ts';
import { hashPassword } from '../solutions/05-chat/passwords.ts';
import { ChatStore } from '../solutions/05-chat/store.ts';

const PASSWORD = 'a bench password';
const IN_FLIGHT = [1, 8, 64] as const;
/** About 90 characters, like a chat line. */
const line = (n: number) => `message ${n}: an ordinary line of chat, about as long as the ones people really type.`;

export interface ChatRun {
  inFlight: number;
  sends: number;
  perSecond: number;
  /** write_bytes of the server process ÷ acknowledged sends, over this run: the journal, and any snapshot made meanwhile. */
  bytesPerAck: number;
  /** The same without the snapshots made during the run: the journal's own cost. */
  journalBytesPerAck: number;
  /** Bytes the run added to the journal (its records) per acknowledged send. */
  recordBytesPerAck: number;
  /** The journal's cost plus the snapshots' share: a snapshot of the current size is written once per that many bytes of records (database.ts). */
  amortisedBytesPerAck: number;
}

export interface ChatHistoryResult {
  history: number;
  snapshotMb: number;
  /** Starting the process (Node and tsx included) until it prints "listening". */
  startSeconds: number;
  rssMb: number;
  runs: ChatRun[];
}

export interface ChatSnapshotResult {
  history: number;
  snapshotMb: number;
  /** Loading the snapshot in this process (ChatStore.open), without the process start. */
  openSeconds: number;
  snapshotSeconds: number;
  commitsDuring: number;
  maxLoopDelayMs: number;
  p99LoopDelayMs: number;
  /** The start with the longest journal there can be (as long as the snapshot). */
  fullJournalMb: number;
  fullJournalStartSeconds: number;
}

export interface ChatResult {
  histories: ChatHistoryResult[];
  snapshot?: ChatSnapshotResult;
  /** Express answering the same requests with no work at all: the most any Express chat could do here. */
  ceiling?: Array<{ inFlight: number; perSecond: number }>;
}

const sizeOf = async (file: string) => (await stat(file).catch(() => ({ size: 0 }))).size;

async function folderFor(history: number): Promise<string> {
  const folder = path.join(workRoot, 'bench', `chat-history-${history}`);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  return folder;
}

/** ann and ben, friends, and `history` messages from ann to ben, committed in batches and folded into a snapshot. */
async function seed(file: string, history: number): Promise<void> {
  const store = await ChatStore.open({ file });
  const hash = await hashPassword(PASSWORD);
  const [ann, ben] = ['ann', 'ben'].map((raw) => {
    const name = readName(raw) as { name: string; key: string };
    return store.createUser(name.name, name.key, hash)!;
  });
  store.addFriendship(ann!.id, ben!.id);
  for (let n = 0; n < history; n++) {
    store.addMessage(ann!.id, ben!.id, line(n));
    if (n % 10_000 === 9_999) await store.commit();
  }
  await store.commit();
  await store.snapshot();
  await store.close();
}

/** Runs `task` without the store's snapshot lines on the console. */
async function quietly<T>(task: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = (...args: unknown[]) => (String(args[0]).startsWith('snapshot:') ? undefined : log(...args));
  try {
    return await task();
  } finally {
    console.log = log;
  }
}

/** write_bytes of a process: bytes it caused to be sent to storage. */
function writeBytes(pid: number): number {
  return Number(/^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

interface ChatProcess {
  url: string;
  child: ChildProcess;
  startSeconds: number;
  /** What it printed, line by line (its snapshot lines among them). */
  lines: string[];
}

async function startChat(file: string, args: readonly string[] = [], script = path.join(projectRoot, 'solutions', '05-chat', 'main.ts')): Promise<ChatProcess> {
  const started = await startProcess(script, ['--port', '0', '--file', file, ...args], /^listening (http:\/\/\S+)/);
  return { url: started.match[1]!, child: started.child, startSeconds: started.seconds, lines: started.lines };
}

async function stopChat(chat: ChatProcess): Promise<void> {
  await stopProcess(chat.child);
}

/** The default of database.ts: no snapshot before the journal holds this many bytes. */
const SNAPSHOT_MIN_BYTES = 4 * 1024 * 1024;

/** Size of the newest journal file next to `file`. */
async function newestJournalBytes(file: string): Promise<number> {
  const prefix = `${path.basename(file)}.journal-`;
  const numbers = (await readdir(path.dirname(file))).filter((name) => name.startsWith(prefix)).map((name) => Number(name.slice(prefix.length)));
  return numbers.length === 0 ? 0 : sizeOf(`${file}.journal-${Math.max(...numbers)}`);
}

/** Bytes named in the chat's snapshot lines: journals folded, and snapshots written. */
function snapshotFigures(lines: readonly string[]): { foldedBytes: number; snapshotBytes: number } {
  const bytes = (pattern: RegExp) => lines.map((line) => pattern.exec(line)?.[1]).filter(Boolean).reduce((sum, n) => sum + Number(n!.replaceAll(',', '')), 0);
  return { foldedBytes: bytes(/^snapshot: folding .*\(the last ([\d,]+) bytes\)/), snapshotBytes: bytes(/^snapshot: .* in place \(([\d,]+) bytes/) };
}

/** `sends` messages from ann to ben, `inFlight` at a time (one connection each); resolves with the rate and the bytes written per acknowledgement. */
async function send(chat: ChatProcess, file: string, token: string, ben: number, inFlight: number, sends: number, from: number): Promise<ChatRun> {
  const connections = await Promise.all(Array.from({ length: inFlight }, () => leanConnection(chat.url)));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let next = 0;
  const pid = chat.child.pid!;
  const linesBefore = chat.lines.length;
  const journalBefore = await newestJournalBytes(file);
  const bytesBefore = writeBytes(pid);
  const started = performance.now();
  await Promise.all(
    connections.map(async (connection) => {
      while (next < sends) {
        const body = JSON.stringify({ to: ben, content: line(from + next++) });
        const answer = await connection.send(requestBytes('POST', '/messages', headers, body));
        if (answer.status !== 201) throw new Error(`POST /messages: ${answer.status} ${answer.body}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const connection of connections) connection.close();
  // A snapshot started during the run belongs to it: wait until it is in place.
  const figures = await settledSnapshots(chat, linesBefore);
  const bytes = writeBytes(pid) - bytesBefore;
  const journalBytes = Math.max(0, bytes - figures.snapshotBytes);
  const recordBytes = figures.foldedBytes + (await newestJournalBytes(file)) - journalBefore;
  const snapshot = await sizeOf(file);
  const perAck = (value: number) => Math.round(value / sends);
  return {
    inFlight,
    sends,
    perSecond: Math.round(sends / seconds),
    bytesPerAck: perAck(bytes),
    journalBytesPerAck: perAck(journalBytes),
    recordBytesPerAck: perAck(recordBytes),
    amortisedBytesPerAck: perAck(journalBytes + (snapshot * recordBytes) / Math.max(SNAPSHOT_MIN_BYTES, snapshot)),
  };
}

/** The snapshot figures since line `from`, once every snapshot started there is in place. */
async function settledSnapshots(chat: ChatProcess, from: number): Promise<{ foldedBytes: number; snapshotBytes: number }> {
  const count = (pattern: RegExp) => chat.lines.slice(from).filter((line) => pattern.test(line)).length;
  for (let waited = 0; count(/^snapshot: .* in place \(/) < count(/^snapshot: folding/) && waited < 60_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  return snapshotFigures(chat.lines.slice(from));
}

async function login(url: string, name: string): Promise<{ token: string; id: number }> {
  const http = client(url);
  const reply = await http.request('POST', '/login', JSON.stringify({ name, password: PASSWORD })).answer;
  http.agent.destroy();
  if (reply.status !== 200) throw new Error(`POST /login: ${reply.status} ${reply.text}`);
  const body = JSON.parse(reply.text) as { token: string; user: { id: number } };
  return { token: body.token, id: body.user.id };
}

async function measureHistory(history: number, sends: Record<number, number>, log: (line: string) => void): Promise<ChatHistoryResult> {
  const folder = await folderFor(history);
  const file = path.join(folder, 'chat.sqlite');
  const seeding = performance.now();
  await quietly(() => seed(file, history));
  log(`   ${history.toLocaleString('en')} messages stored in ${((performance.now() - seeding) / 1000).toFixed(1)} s; snapshot ${(await sizeOf(file) / 1e6).toFixed(1)} MB`);
  const snapshotMb = (await sizeOf(file)) / 1e6;
  const chat = await startChat(file, ['--max-connections-per-address', '1000']);
  try {
    const ann = await login(chat.url, 'ann');
    const ben = await login(chat.url, 'ben');
    await send(chat, file, ann.token, ben.id, 8, 500, history); // warm-up: the JIT, the connections
    const runs: ChatRun[] = [];
    let written = history + 500;
    for (const inFlight of IN_FLIGHT) {
      const run = await send(chat, file, ann.token, ben.id, inFlight, sends[inFlight]!, written);
      written += run.sends;
      runs.push(run);
      log(`   ${inFlight} in flight: ${run.perSecond.toLocaleString('en')} acknowledged/s; bytes written per acknowledgement: ${run.bytesPerAck.toLocaleString('en')} in this run, ${run.journalBytesPerAck.toLocaleString('en')} of them the journal's (${run.recordBytesPerAck} of records), ${run.amortisedBytesPerAck.toLocaleString('en')} amortised with snapshots`);
    }
    return { history, snapshotMb, startSeconds: chat.startSeconds, rssMb: rssKb(chat.child.pid!) / 1024, runs };
  } finally {
    await stopChat(chat);
  }
}

/** At the largest history: the event loop while a snapshot is made, and the slowest start there can be. */
async function measureSnapshot(history: number, log: (line: string) => void): Promise<ChatSnapshotResult> {
  const file = path.join(workRoot, 'bench', `chat-history-${history}`, 'chat.sqlite');
  const opening = performance.now();
  let store = await ChatStore.open({ file });
  const openSeconds = (performance.now() - opening) / 1000;
  const ann = store.userByKey((readName('ann') as { key: string }).key)!;
  const ben = store.userByKey((readName('ben') as { key: string }).key)!;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let snapshotting = true;
  let commits = 0;
  const writer = (async () => {
    while (snapshotting) {
      store.addMessage(ann.id, ben.id, line(commits));
      await store.commit();
      commits++;
    }
  })();
  delay.enable();
  const started = performance.now();
  await quietly(() => store.snapshot());
  const snapshotSeconds = (performance.now() - started) / 1000;
  snapshotting = false;
  await writer;
  delay.disable();
  const snapshotMb = (await sizeOf(file)) / 1e6;
  log(`   a snapshot of ${snapshotMb.toFixed(1)} MB in ${snapshotSeconds.toFixed(1)} s, ${commits} commits meanwhile; the event loop stalled ${(delay.max / 1e6).toFixed(1)} ms at most`);
  await store.close();

  // The longest journal: as long as the snapshot (the next write would start a snapshot), with none made meanwhile.
  store = await ChatStore.open({ file, snapshotMinBytes: Number.MAX_SAFE_INTEGER });
  const recordBytes = encodeRecord([0, [ann.id, ben.id, line(0), Date.now()]]).length; // a message's record, its statement named by number
  const count = Math.floor((await sizeOf(file)) / recordBytes);
  for (let n = 0; n < count; n++) {
    store.addMessage(ann.id, ben.id, line(n));
    if (n % 10_000 === 9_999) await store.commit();
  }
  await quietly(() => store.close());
  const journals = (await readdir(path.dirname(file))).filter((name) => name.includes('.journal-'));
  let fullJournalBytes = 0;
  for (const name of journals) fullJournalBytes += await sizeOf(path.join(path.dirname(file), name));
  const chat = await startChat(file);
  await stopChat(chat);
  log(`   start with a ${(fullJournalBytes / 1e6).toFixed(1)} MB journal to replay: ${chat.startSeconds.toFixed(1)} s`);
  return {
    history,
    snapshotMb,
    openSeconds,
    snapshotSeconds,
    commitsDuring: commits,
    maxLoopDelayMs: delay.max / 1e6,
    p99LoopDelayMs: delay.percentile(99) / 1e6,
    fullJournalMb: fullJournalBytes / 1e6,
    fullJournalStartSeconds: chat.startSeconds,
  };
}

/** Express with no work, sent the same requests by the same client. */
async function measureCeiling(sends: Record<number, number>, log: (line: string) => void): Promise<Array<{ inFlight: number; perSecond: number }>> {
  const folder = path.join(workRoot, 'bench', 'chat-ceiling');
  await mkdir(folder, { recursive: true });
  const server = await startChat(path.join(folder, 'unused'), [], path.join(projectRoot, 'bench', 'servers', 'express-post.ts'));
  try {
    await send(server, path.join(folder, 'unused'), 'none', 2, 8, 500, 0); // warm-up
    const ceiling = [];
    for (const inFlight of IN_FLIGHT) ceiling.push({ inFlight, perSecond: (await send(server, path.join(folder, 'unused'), 'none', 2, inFlight, sends[inFlight]!, 0)).perSecond });
    log(`   Express with no work: ${ceiling.map((c) => `${c.perSecond.toLocaleString('en')}/s with ${c.inFlight} in flight`).join(', ')}`);
    return ceiling;
  } finally {
    await stopChat(server);
    await rm(folder, { recursive: true, force: true });
  }
}

/** Measure 4 at each history size; the snapshot figures at the largest; the ceiling. */
export async function measureChat(histories: readonly number[], sends: Record<number, number>, log: (line: string) => void): Promise<ChatResult> {
  const ceiling = await measureCeiling(sends, log);
  const results: ChatHistoryResult[] = [];
  for (const history of histories) {
    log(`   history of ${history.toLocaleString('en')} messages`);
    results.push(await measureHistory(history, sends, log));
  }
  const largest = Math.max(...histories);
  const snapshot = largest > 0 ? await measureSnapshot(largest, log) : undefined;
  for (const history of histories) await rm(path.join(workRoot, 'bench', `chat-history-${history}`), { recursive: true, force: true });
  return { histories: results, snapshot, ceiling };
}

export interface FloodResult {
  /** What protects the other users: every defence, or only the queue in front of scrypt. */
  defences: string;
  /** Logins sent at once (0: the quiet baseline). */
  logins: number;
  /** How the flood was answered: status → count. */
  answers: Record<string, number>;
  /** Acknowledged sends by another user while the flood lasted, and their latency. */
  sends: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function post<T>(url: string, route: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(url + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Two new users, ann and ben, friends (ann asked, ben accepted); ann's token and ben's id. */
async function friends(url: string): Promise<{ ann: string; ben: number }> {
  for (const name of ['ann', 'ben']) await post(url, '/register', { name, password: PASSWORD });
  const ann = await post<{ token: string; user: { id: number } }>(url, '/login', { name: 'ann', password: PASSWORD });
  const ben = await post<{ token: string; user: { id: number } }>(url, '/login', { name: 'ben', password: PASSWORD });
  await post(url, '/friends', { name: 'ben' }, ann.token);
  await post(url, `/friends/${ann.user.id}/accept`, {}, ben.token);
  return { ann: ann.token, ben: ben.user.id };
}

/**
 * Measure 4b: a flood of logins (each a scrypt hash, on purpose slow) against the chat, while
 * another user keeps sending messages one at a time: how long each acknowledgement takes.
 * Once with every defence (limits per address and per name, before any hashing; hashing two
 * at a time), once with the limits lifted so that only the hashing queue protects the writes.
 */
export async function measureLoginFlood(logins: number, quietSends: number): Promise<FloodResult[]> {
  const variants: Array<[string, string[]]> = [
    ['limits and hashing queue (as shipped)', []],
    ['hashing queue only (limits lifted)', ['--password-tries-per-address', '1000000', '--max-connections-per-address', '1000000']],
  ];
  const results: FloodResult[] = [];
  for (const [defences, args] of variants) {
    const folder = path.join(workRoot, 'bench', 'login-flood');
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    const chat = await startChat(path.join(folder, 'chat.sqlite'), args);
    try {
      const { ann, ben } = await friends(chat.url);
      let sent = 0;
      const send = async (): Promise<number> => {
        const started = performance.now();
        await post(chat.url, '/messages', { to: ben, content: `message ${++sent} while the others log in` }, ann);
        return performance.now() - started;
      };
      if (results.length === 0) {
        const quiet: number[] = [];
        for (let n = 0; n < quietSends; n++) quiet.push(await send());
        results.push({ defences: 'no flood (baseline)', logins: 0, answers: {}, sends: quiet.length, ...latency(quiet) });
      }
      const answers: Record<string, number> = {};
      let flooding = true;
      // The flood has connections of its own (node:http), apart from the sender's (fetch).
      const flooder = client(chat.url);
      const flood = Promise.all(
        Array.from({ length: logins }, async (_, n) => {
          const body = JSON.stringify({ name: `guess${n % 20}`, password: `wrong guess ${n}` });
          const status = await flooder.request('POST', '/login', body).answer.then((r) => String(r.status), () => 'connection refused');
          answers[status] = (answers[status] ?? 0) + 1;
        }),
      ).finally(() => {
        flooding = false;
        flooder.agent.destroy();
      });
      const during: number[] = [];
      while (flooding || during.length < 20) during.push(await send());
      await flood;
      results.push({ defences, logins, answers, sends: during.length, ...latency(during) });
    } finally {
      await stopChat(chat);
    }
  }
  return results;
}

function latency(samples: readonly number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  return { p50Ms: round(percentile(samples, 50)), p99Ms: round(percentile(samples, 99)), maxMs: round(Math.max(...samples)) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
