/**
 * Grader for lesson 07 (the relay through a firewall). Three programs are graded through
 * their contract: the relay (`createApp` in server.ts, `main.ts` as a process), the agent
 * (`startAgent` in agent.ts, and agent.ts as a process; `openDemoDatabase` and
 * `runNamedQuery` in database.ts) and the caller (`createCaller` in caller.ts).
 *
 * Where one program is graded alone, the grader plays the other side itself, over real HTTP:
 * an agent that logs in, polls and answers when it chooses (to hold a query "running", or
 * answer out of order), or a relay that answers the learner's agent or caller as scripted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { listen } from '../../shared/http.ts';
import { projectRoot } from '../../shared/paths.ts';
import { isErrorBody } from '../../shared/grading/bad-input.ts';
import { check, describeError, fail, show } from '../../shared/grading/failure.ts';
import { call, describeReply, outcomeWithin, startCall, type PendingCall, type Reply } from '../../shared/grading/http-client.ts';
import { loadFunction, serveLesson } from '../../shared/grading/lesson-code.ts';
import { startLessonProcess, temporaryFolder } from '../../shared/grading/processes.ts';
import { checkNoTimerLeft, showDelay, watchTimers } from '../../shared/grading/timers.ts';
import type { Grader, GraderTest, TestContext } from '../../shared/grading/types.ts';
import { waitUntil, within } from '../../shared/grading/wait.ts';

/** A time long enough never to pass during a test. */
const LONG_MS = 60_000;
/** How long an answer that should come at once may take. */
const AT_ONCE_MS = 2000;
/** How long a login (one scrypt) may take. */
const LOGIN_MS = 5000;
/** How long a request that should be held is watched before it counts as held. */
const HELD_MS = 200;

const SHOP = { name: 'shop', secret: 'the shop agent secret, long enough', key: 'caller-key-for-the-shop-0123456789' };
const OTHER = { name: 'other', secret: 'the other agent secret, long enough', key: 'caller-key-for-the-other-012345678' };

const ID = /^[A-Za-z0-9_-]{22}$/;

interface RelayApp {
  shutdown(): void;
  close?(): Promise<void>;
}

type Look = { look?: string };

// ---------------------------------------------------------------------------------------
// The learner's relay.

/** The relay's agent configuration: hashes made with the lesson's own secrets.ts. */
async function agentConfigs(ctx: TestContext): Promise<unknown[]> {
  const hashSecret = await loadFunction<(secret: string) => Promise<string>>(ctx, 'secrets.ts', 'hashSecret');
  const hashKey = await loadFunction<(key: string) => string>(ctx, 'secrets.ts', 'hashKey');
  return Promise.all(
    [SHOP, OTHER].map(async (agent) => ({ name: agent.name, secretHash: await hashSecret(agent.secret), callerKeyHashes: [hashKey(agent.key)] })),
  );
}

/** The learner's relay with two agents (shop, other) and `options`, on a free port of 127.0.0.1. */
async function serveRelay(ctx: TestContext, options: Record<string, unknown> = {}) {
  const agents = await agentConfigs(ctx);
  const served = await serveLesson<RelayApp>(ctx, 'createApp', { agents, holdMs: LONG_MS, deadlineMs: LONG_MS, offlineAfterMs: LONG_MS, ...options });
  ctx.defer(() => served.app.close?.());
  return served;
}

/** A caller's query, which the relay may hold; aborted when the test ends. */
function startQuery(ctx: TestContext, url: string, body: unknown, { agent = SHOP, key = agent.key, idempotencyKey }: { agent?: typeof SHOP; key?: string; idempotencyKey?: string } = {}): PendingCall {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  const pending = startCall(url, 'POST', `/agents/${agent.name}/queries`, { json: body, headers });
  ctx.defer(() => pending.abort());
  return pending;
}

/** Waits for a held request's reply; fails if none comes within `withinMs`. */
async function replyOf(ctx: TestContext, pending: PendingCall, what: string, withinMs = AT_ONCE_MS, look?: string): Promise<Reply> {
  ctx.step(`waiting for the answer to ${what}`);
  const outcome = await outcomeWithin(pending, withinMs);
  if (!outcome) fail({ expected: `an answer to ${what} within ${withinMs} ms`, actual: 'the request was still held', ...(look ? { look } : {}) });
  if (outcome.kind === 'error') fail({ expected: `an answer to ${what}`, actual: `the connection failed: ${describeError(outcome.error)}`, ...(look ? { look } : {}) });
  return outcome.reply;
}

/** Fails unless `pending` is still open after HELD_MS. */
async function expectHeld(ctx: TestContext, pending: PendingCall, what: string, look: string): Promise<void> {
  ctx.step(`checking that ${what} is held`);
  const early = await outcomeWithin(pending, HELD_MS);
  if (early) {
    fail({
      expected: `${what} held (still open after ${HELD_MS} ms)`,
      actual: early.kind === 'reply' ? `it was answered after ${Math.round(early.reply.ms)} ms: ${describeReply(early.reply)}` : 'the connection broke',
      look,
    });
  }
}

/** A request answered within AT_ONCE_MS (a login within LOGIN_MS: scrypt is slow on purpose, and slower on a busy machine). */
function ask(url: string, method: string, path: string, options: Parameters<typeof call>[3] = {}): Promise<Reply> {
  return call(url, method, path, { withinMs: path.endsWith('/login') ? LOGIN_MS : AT_ONCE_MS, ...options });
}

function expectStatus(reply: Reply, status: number, what: string, look?: string): void {
  check(reply.status === status && isErrorBody(reply.body) === (status !== 200), {
    expected: `${what}: status ${status}${status === 200 ? '' : ' with {"error": "…"}'}`,
    actual: describeReply(reply),
    ...(look ? { look } : {}),
  });
}

// ---------------------------------------------------------------------------------------
// The grader playing the agent, over HTTP.

interface WorkItem {
  id: string;
  query: string;
  params: Record<string, unknown>;
  idempotencyKey?: string;
}

interface PlayedAgent {
  token: string;
  poll(max?: number): PendingCall;
  /** A poll that must bring work within `withinMs`; returns the requests. */
  work(what: string, max?: number, withinMs?: number): Promise<WorkItem[]>;
  answer(answers: unknown[]): Promise<Reply>;
}

const POLL_LOOK = 'server.ts TODO 4 (the held poll) and TODO 8 (a query queued wakes the held poll).';

async function playAgent(ctx: TestContext, url: string, agent = SHOP): Promise<PlayedAgent> {
  ctx.step(`logging in as the agent ${agent.name}`);
  const login = await ask(url, 'POST', `/agents/${agent.name}/login`, { json: { secret: agent.secret } });
  const token = (login.body as { token?: unknown } | undefined)?.token;
  check(login.status === 200 && typeof token === 'string' && token.length > 0, {
    expected: `POST /agents/${agent.name}/login with the right secret answered 200 { "token": "…", … }`,
    actual: describeReply(login),
    look: 'server.ts onLogin (given): it checks the secret with verifySecret against the stored hash.',
  });
  const auth = { authorization: `Bearer ${token}` };
  const poll = (max?: number): PendingCall => {
    const pending = startCall(url, 'GET', `/agents/${agent.name}/work${max === undefined ? '' : `?max=${max}`}`, { headers: auth });
    ctx.defer(() => pending.abort());
    return pending;
  };
  return {
    token,
    poll,
    async work(what, max, withinMs = AT_ONCE_MS) {
      const reply = await replyOf(ctx, poll(max), `the agent's poll (${what})`, withinMs, POLL_LOOK);
      const body = reply.body as { status?: unknown; requests?: unknown } | undefined;
      check(reply.status === 200 && body?.status === 'work' && Array.isArray(body.requests), {
        expected: `the agent's poll answered 200 { "status": "work", "requests": [...] } (${what})`,
        actual: describeReply(reply),
        look: POLL_LOOK,
      });
      return body.requests as WorkItem[];
    },
    answer: (answers) => ask(url, 'POST', `/agents/${agent.name}/answers`, { json: { answers }, headers: auth }),
  };
}

// ---------------------------------------------------------------------------------------
// The learner's agent, in this process or as a process of its own.

interface DemoDatabase {
  db: { exec(sql: string): Array<{ values: unknown[][] }> };
  close(): void;
}

async function openDatabase(ctx: TestContext): Promise<DemoDatabase> {
  const open = await loadFunction<() => Promise<DemoDatabase>>(ctx, 'database.ts', 'openDemoDatabase');
  const database = await open();
  ctx.defer(() => database.close());
  return database;
}

function countRows(database: DemoDatabase, table: string): number {
  return Number(database.db.exec(`SELECT COUNT(*) FROM ${table}`)[0]?.values[0]?.[0] ?? 0);
}

/** startAgent() from agent.ts against `url`, with `database`; stopped when the test ends. Waits for its login. */
async function runAgent(ctx: TestContext, url: string, database: DemoDatabase, options: Record<string, unknown> = {}): Promise<void> {
  const start = await loadFunction<(o: Record<string, unknown>) => { stop(): void; connected?: Promise<void> }>(ctx, 'agent.ts', 'startAgent');
  const errors: unknown[] = [];
  ctx.step('starting your agent with startAgent()');
  const agent = start({ relayUrl: url, name: SHOP.name, secret: SHOP.secret, database, retryMs: 50, maxRetryMs: 200, onError: (e: unknown) => void errors.push(e), ...options });
  ctx.defer(() => agent.stop());
  const connected = await within(Promise.resolve(agent.connected).then(() => true), 5000, false);
  check(connected, {
    expected: 'startAgent() to log in (its `connected` promise resolved) within 5 s',
    actual: `it did not${errors.length ? `; onError got ${show(errors.map(String))}` : ''}`,
    look: 'agent.ts TODO 10: the loop logs in first (login() is given).',
  });
}

/** The learner's relay, and the learner's agent connected to it with a fresh demo database. */
async function relayWithAgent(ctx: TestContext): Promise<{ url: string; database: DemoDatabase }> {
  const { url } = await serveRelay(ctx);
  const database = await openDatabase(ctx);
  await runAgent(ctx, url, database);
  return { url, database };
}

interface AgentProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the process has printed `connected` `count` times in all. */
  connections(count: number, withinMs: number): Promise<boolean>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** agent.ts as a process (optionally inside a network namespace), killed when the test ends. */
async function startAgentProcess(ctx: TestContext, relayUrl: string, { netns }: { netns?: string } = {}): Promise<AgentProcess> {
  const args = ['--import', 'tsx', path.join(ctx.lessonDir, 'agent.ts'), '--relay', relayUrl, '--name', SHOP.name, '--retry-ms', '50', '--max-retry-ms', '300'];
  const [command, argv] = netns ? [IP!, ['netns', 'exec', netns, process.execPath, ...args]] : [process.execPath, args];
  ctx.step(`starting agent.ts --relay ${relayUrl} --name ${SHOP.name} as a process`);
  const child = spawn(command, argv, { cwd: projectRoot, env: { ...process.env, RELAY_AGENT_SECRET: SHOP.secret }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  ctx.defer(() => kill());
  const line = `connected ${relayUrl} as ${SHOP.name}`;
  const count = () => text.split('\n').filter((l) => l.trim() === line).length;
  const agent: AgentProcess = {
    child,
    output: () => text,
    connections: async (wanted, withinMs) => (await waitUntil(() => (count() >= wanted ? true : undefined), { withinMs, everyMs: 10 })) === true,
    kill,
  };
  if (!(await agent.connections(1, 15_000))) {
    fail({
      expected: `agent.ts to print "${line}" once it has logged in`,
      actual: `${child.exitCode !== null ? `it exited with code ${child.exitCode}` : 'nothing like it within 15 s'}; its output:\n${text.trim().slice(-800)}`,
      look: 'agent.ts: the command line is given (it prints the line in onConnected); TODO 10 must log in.',
    });
  }
  return agent;
}

// ---------------------------------------------------------------------------------------
// Sockets of a process, from /proc.

interface SocketRow {
  file: string;
  local: string;
  state: string;
}

/** Every row of /proc/net/{tcp,tcp6,udp,udp6} by inode. */
function socketTable(): Map<string, SocketRow> {
  const rows = new Map<string, SocketRow>();
  for (const file of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const source = `/proc/net/${file}`;
    if (!existsSync(source)) continue;
    for (const line of readFileSync(source, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      rows.set(fields[9]!, { file, local: fields[1]!, state: fields[3]! });
    }
  }
  return rows;
}

/** The inodes of the sockets process `pid` has open. */
function socketInodes(pid: number): string[] {
  const folder = `/proc/${pid}/fd`;
  return readdirSync(folder).flatMap((fd) => {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(path.join(folder, fd)));
      return match ? [match[1]!] : [];
    } catch {
      return [];
    }
  });
}

/** "0100007F:1F90" as "127.0.0.1:8080" (IPv4), or the port alone for IPv6. */
function showAddress(hex: string): string {
  const [address, port] = hex.split(':');
  const number = parseInt(port!, 16);
  if (address!.length !== 8) return `[ipv6]:${number}`;
  const bytes = address!.match(/../g)!.map((b) => parseInt(b, 16)).reverse();
  return `${bytes.join('.')}:${number}`;
}

// ---------------------------------------------------------------------------------------
// A relay played by the grader, for the learner's agent and caller: every request is seen,
// with its headers, and answered as the test decides.

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  at: number;
  respond(status: number, body: unknown, headers?: Record<string, string>): void;
}

interface PlayedRelay {
  url: string;
  seen: Seen[];
  next(what: string, withinMs?: number, look?: string): Promise<Seen>;
}

async function playRelay(ctx: TestContext): Promise<PlayedRelay> {
  const seen: Seen[] = [];
  const waiting: Array<(s: Seen) => void> = [];
  const untaken: Seen[] = [];
  const listening = await listen((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => void (text += chunk.toString()));
    req.on('end', () => {
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const entry: Seen = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        at: performance.now(),
        respond(status, answer, headers = {}) {
          if (res.writableEnded || res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(answer));
        },
      };
      seen.push(entry);
      const taker = waiting.shift();
      if (taker) taker(entry);
      else untaken.push(entry);
    });
  });
  ctx.defer(() => listening.close());
  return {
    url: listening.url,
    seen,
    async next(what, withinMs = AT_ONCE_MS, look) {
      ctx.step(`waiting for ${what}`);
      const ready = untaken.shift();
      if (ready) return ready;
      let taker!: (s: Seen) => void;
      const arrived = new Promise<Seen>((resolve) => (taker = resolve));
      waiting.push(taker);
      const entry = await within(arrived, withinMs, undefined);
      if (!entry) {
        waiting.splice(waiting.indexOf(taker), 1);
        fail({ expected: `${what} within ${withinMs} ms`, actual: 'no request came', ...(look ? { look } : {}) });
      }
      return entry;
    },
  };
}

/** Answers the agent's login at the played relay. */
async function acceptLogin(ctx: TestContext, relay: PlayedRelay, token = 'token-one'): Promise<void> {
  const login = await relay.next('your agent\'s POST /agents/shop/login', 2000, 'agent.ts TODO 10: the loop logs in first.');
  check(login.method === 'POST' && login.path === '/agents/shop/login', {
    expected: 'the agent to start with POST /agents/shop/login',
    actual: `${login.method} ${login.path}`,
    look: 'agent.ts TODO 10',
  });
  login.respond(200, { token, holdMs: LONG_MS, offlineAfterMs: 2000, maxBatch: 100 });
  void ctx;
}

const isPoll = (s: Seen) => s.method === 'GET' && s.path.startsWith('/agents/shop/work');

// ---------------------------------------------------------------------------------------
// Network namespaces: allowed as root on Linux with `ip`.

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((file) => existsSync(file));
const NFT = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((file) => existsSync(file));
const firewallSkipReason =
  process.platform !== 'linux'
    ? 'not Linux'
    : process.getuid?.() !== 0
      ? 'not running as root (network namespaces need it)'
      : IP === undefined
        ? 'no `ip` command (Debian package iproute2)'
        : NFT === undefined
          ? 'no `nft` command (Debian package nftables) for the firewall rule'
          : undefined;
const namespacesAllowed = firewallSkipReason === undefined;
if (firewallSkipReason && process.env.CI !== 'true') {
  console.error(`lesson 07: the firewall test (a network namespace for the agent) is left out here: ${firewallSkipReason}. Under CI=true it runs.`);
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${(result.stderr || result.error?.message || '').trim()}`);
}

/** True when a TCP connection to host:port is accepted within `withinMs`. */
function connects(host: string, port: number, withinMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), withinMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------
// The tests, in the order of the issue: the firewall picture first.

const tests: GraderTest[] = [];

tests.push({
  id: 'agent-listens-on-nothing',
  title: 'the agent, run as a process, has no listening socket: only outbound connections to the relay',
  look: 'agent.ts: the agent makes requests (fetch) and never creates a server or opens a port.',
  timeoutMs: 20_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const agent = await startAgentProcess(ctx, url);
    // It does its work through the relay: a query in, an answer out…
    const reply = await replyOf(ctx, startQuery(ctx, url, { query: 'customerById', params: { id: 4 } }), 'customerById {id: 4} through the agent process', 3000);
    check(reply.status === 200 && (reply.body as { result?: { customer?: { name?: unknown } } } | undefined)?.result?.customer?.name === 'Wang Fang', {
      expected: '200 { "result": { "customer": { "id": 4, "name": "Wang Fang", … } } } from the agent process',
      actual: describeReply(reply),
      look: 'agent.ts TODOs 10–11 and server.ts TODOs 4 and 8: the round trip.',
    });
    // …and listens on nothing while it does.
    const pid = agent.child.pid!;
    ctx.step(`reading the sockets of process ${pid} in /proc`);
    // The agent holds its poll now: at least one established connection of its own must show up,
    // or this check would see nothing at all and prove nothing.
    const found = await waitUntil(
      () => {
        const table = socketTable();
        const mine = socketInodes(pid).map((inode) => table.get(inode)).filter((row): row is SocketRow => row !== undefined);
        return mine.some((row) => row.file.startsWith('tcp') && row.state === '01') ? mine : undefined;
      },
      { withinMs: 3000, everyMs: 20 },
    );
    check(found, {
      expected: 'the agent process to hold an established TCP connection (its poll to the relay)',
      actual: 'none of its sockets is an established TCP connection',
      look: 'agent.ts TODO 10: after logging in, the agent holds a poll at the relay.',
    });
    const listening = found.filter((row) => (row.file.startsWith('tcp') && row.state === '0A') || row.file.startsWith('udp'));
    check(listening.length === 0, {
      expected: 'no listening TCP socket and no bound UDP socket in the agent process: nobody outside could reach it anyway',
      actual: listening.map((row) => `${row.file} ${row.state === '0A' ? 'listening on' : 'bound to'} ${showAddress(row.local)}`).join('; '),
    });
  },
});

if (namespacesAllowed || process.env.CI === 'true') {
  tests.push({
    id: 'firewall-namespace',
    title: 'behind a firewall that drops every incoming connection, the agent still answers through the relay',
    look: 'agent.ts: only outbound requests to the relay; server.ts: the held poll carries the query in.',
    timeoutMs: 30_000,
    async run(ctx) {
      check(namespacesAllowed, { expected: 'root on Linux with `ip` and `nft` (CI=true requires this test to run)', actual: firewallSkipReason ?? 'unknown', look: 'the CI machine: run the tests as root with iproute2 and nftables installed' });
      const n = String(Math.floor(Math.random() * 9000) + 1000);
      const ns = `comet7-${n}`;
      const subnet = `10.207.${Math.floor(Math.random() * 250) + 1}`;
      const [host, inside] = [`${subnet}.1`, `${subnet}.2`];
      ctx.step(`creating the network namespace ${ns}`);
      run(IP!, ['netns', 'add', ns]);
      ctx.defer(() => spawnSync(IP!, ['netns', 'del', ns]));
      run(IP!, ['link', 'add', `c7h${n}`, 'type', 'veth', 'peer', 'name', `c7a${n}`]);
      ctx.defer(() => spawnSync(IP!, ['link', 'del', `c7h${n}`]));
      run(IP!, ['link', 'set', `c7a${n}`, 'netns', ns]);
      run(IP!, ['addr', 'add', `${host}/30`, 'dev', `c7h${n}`]);
      run(IP!, ['link', 'set', `c7h${n}`, 'up']);
      run(IP!, ['netns', 'exec', ns, IP!, 'addr', 'add', `${inside}/30`, 'dev', `c7a${n}`]);
      run(IP!, ['netns', 'exec', ns, IP!, 'link', 'set', `c7a${n}`, 'up']);
      run(IP!, ['netns', 'exec', ns, IP!, 'link', 'set', 'lo', 'up']);

      // Something listening inside, to show what the firewall does: reachable before, not after.
      ctx.step('starting a listener inside the namespace');
      const listener = spawn(IP!, ['netns', 'exec', ns, process.execPath, '-e', `require('net').createServer((s) => s.end()).listen(7070, '${inside}', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'pipe'] });
      ctx.defer(() => listener.kill('SIGKILL'));
      const up = await within(new Promise<boolean>((resolve) => listener.stdout!.on('data', () => resolve(true))), 10_000, false);
      check(up, { expected: 'a test listener inside the namespace', actual: 'it did not start', look: 'the machine: ip netns exec' });
      check(await connects(inside, 7070, 2000), { expected: 'a connection into the namespace to work before the firewall is set', actual: 'it failed', look: 'the machine: the veth pair' });

      ctx.step('dropping every new incoming connection in the namespace');
      const rules = await temporaryFolder(ctx);
      const file = path.join(rules, 'firewall.nft');
      // Answers to connections the agent opened come in; a connection that starts outside does not.
      writeFileSync(file, 'table inet firewall {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    ct state established,related accept\n    iif "lo" accept\n    ct state new drop\n  }\n}\n');
      run(IP!, ['netns', 'exec', ns, NFT!, '-f', file]);
      check(!(await connects(inside, 7070, 1000)), {
        expected: 'a connection into the namespace to fail once the firewall drops incoming connections',
        actual: 'it was accepted',
        look: 'the machine: the nftables rule in the namespace',
      });

      ctx.step(`serving your relay on ${host}, outside the namespace`);
      const create = await loadFunction<(o: unknown) => Promise<RelayApp & http.RequestListener>>(ctx, 'server.ts', 'createApp');
      const app = await create({ agents: await agentConfigs(ctx), holdMs: LONG_MS, deadlineMs: 5000, offlineAfterMs: LONG_MS });
      const relay = await listen(app, 0, host);
      ctx.defer(async () => {
        app.shutdown();
        await relay.close();
      });
      await startAgentProcess(ctx, relay.url, { netns: ns });
      const reply = await replyOf(ctx, startQuery(ctx, relay.url, { query: 'customerById', params: { id: 2 } }), 'customerById {id: 2} through the relay', 5000);
      const customer = (reply.body as { result?: { customer?: { name?: unknown } } } | undefined)?.result?.customer;
      check(reply.status === 200 && customer?.name === 'Lin Hui', {
        expected: '200 { "result": { "customer": { "id": 2, "name": "Lin Hui", … } } } from the agent behind the firewall',
        actual: describeReply(reply),
      });
    },
  });
}

tests.push({
  id: 'round-trip',
  title: 'a query goes in to the agent and its answer comes out to the caller',
  look: 'server.ts TODOs 4 and 8 (the held poll, queueing), agent.ts TODOs 10–11, database.ts TODO 3.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await relayWithAgent(ctx);
    const reply = await replyOf(ctx, startQuery(ctx, url, { query: 'customerById', params: { id: 1 } }), 'customerById {id: 1}');
    check(reply.status === 200 && show((reply.body as { result?: unknown })?.result) === show({ customer: { id: 1, name: 'Ada Lovelace', city: 'London' } }), {
      expected: '200 { "result": { "customer": { "id": 1, "name": "Ada Lovelace", "city": "London" } } }',
      actual: describeReply(reply),
    });
    check(/no-store/.test(reply.headers.get('cache-control') ?? ''), {
      expected: 'the answer with "Cache-Control: no-store" (an answer is for this caller, now: no proxy may keep it)',
      actual: `Cache-Control: ${show(reply.headers.get('cache-control'))}`,
      look: 'server.ts onQuery (given): noStore(res) before the caller waits.',
    });
    const orders = await replyOf(ctx, startQuery(ctx, url, { query: 'ordersByCustomer', params: { customerId: 2, limit: 2 } }), 'ordersByCustomer {customerId: 2, limit: 2}');
    const list = (orders.body as { result?: { orders?: Array<{ id?: unknown }> } })?.result?.orders;
    check(orders.status === 200 && show(list?.map((o) => o.id)) === show([6, 5]), {
      expected: 'ordersByCustomer {customerId: 2, limit: 2}: 200 with orders 6 and 5 (newest first, at most 2)',
      actual: describeReply(orders),
      look: 'database.ts: ordersByCustomer (given) and TODO 1 (the checks of limit).',
    });
  },
});

tests.push({
  id: 'correlation-shuffled',
  title: 'concurrent queries each get their own answer, whatever order the answers come back in',
  look: 'server.ts TODO 6 (an answer goes to the request with its id) and TODO 8 (a new random id per query).',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const agent = await playAgent(ctx, url);
    const queries = [1, 2, 3, 4, 5].map((n) => ({ n, pending: startQuery(ctx, url, { query: 'echo', params: { n } }) }));
    // Wait until all five are queued: a poll with max=5 then takes all of them.
    const items: WorkItem[] = [];
    while (items.length < 5) items.push(...(await agent.work(`collecting the five queries (${items.length} so far)`, 5 - items.length)));
    check(items.every((item) => ID.test(item.id)) && new Set(items.map((i) => i.id)).size === 5, {
      expected: 'five work items, each with its own correlation id of 22 base64url characters',
      actual: show(items.map((i) => i.id)),
      look: 'server.ts TODO 8: id: newCorrelationId() for every query.',
    });
    // Random ids differ almost everywhere; a counter, however padded, differs in a character or two.
    const alike = (a: string, b: string) => [...a].filter((c, i) => b[i] === c).length;
    const closest = Math.max(...items.flatMap((a, i) => items.slice(i + 1).map((b) => alike(a.id, b.id))));
    check(closest <= 11, {
      expected: 'random correlation ids (16 random bytes each): two of them share few characters at the same places',
      actual: `two ids share ${closest} of 22 characters at the same places: ${show(items.map((i) => i.id))} — a counter can be guessed`,
      look: 'server.ts TODO 8: id: newCorrelationId() (secrets.ts), never a counter.',
    });
    // Answer in a shuffled order, one at a time.
    for (const item of [items[3], items[0], items[4], items[2], items[1]]) {
      const reply = await agent.answer([{ id: item!.id, status: 200, result: { echoed: item!.params.n } }]);
      expectStatus(reply, 200, `POST /answers for ${item!.id}`, 'server.ts TODO 6');
    }
    for (const { n, pending } of queries) {
      const reply = await replyOf(ctx, pending, `the query with n = ${n}`);
      check(reply.status === 200 && (reply.body as { result?: { echoed?: unknown } })?.result?.echoed === n, {
        expected: `the caller who sent n = ${n} to get 200 { "result": { "echoed": ${n} } }`,
        actual: describeReply(reply),
      });
    }
  },
});

tests.push({
  id: 'poll-batch',
  title: 'a poll is answered at once with what is queued, several queries in one answer, at most max of them, oldest first',
  look: 'server.ts TODO 4: with queries queued, answer at once with deliver(agent, session, max).',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const agent = await playAgent(ctx, url);
    const held = agent.poll(2);
    await expectHeld(ctx, held, 'a poll with nothing queued', 'server.ts TODO 4: with nothing queued, hold(agent, session, res, max).');
    startQuery(ctx, url, { query: 'q1' });
    const first = await replyOf(ctx, held, 'the held poll, after a query', AT_ONCE_MS, POLL_LOOK);
    const firstItems = (first.body as { requests?: WorkItem[] } | undefined)?.requests;
    check(firstItems?.length === 1 && firstItems[0]?.query === 'q1', { expected: 'the held poll answered with the one query { status: "work", requests: [q1] }', actual: describeReply(first), look: POLL_LOOK });
    // One after the other, so that the order they were queued in is known.
    for (const name of ['q2', 'q3', 'q4']) await expectHeld(ctx, startQuery(ctx, url, { query: name }), `the query ${name}`, 'server.ts TODO 8: a query waits for its answer.');
    const taken = await agent.work('three queued, max=2', 2);
    check(show(taken.map((i) => i.query)) === show(['q2', 'q3']), { expected: 'with q2, q3, q4 queued, a poll with max=2 answered at once with [q2, q3], oldest first', actual: show(taken.map((i) => i.query)) });
    const rest = await agent.work('the one left', 2);
    check(show(rest.map((i) => i.query)) === show(['q4']), { expected: 'the next poll answered at once with [q4]', actual: show(rest.map((i) => i.query)) });
  },
});

tests.push({
  id: 'poll-timeout',
  title: "the agent's poll ends after holdMs with { status: \"timeout\" } (the seed's \"please reconnect\"), and can be asked again",
  look: 'server.ts: hold() (given) answers { status: "timeout" } after holdMs; TODO 4 must call it.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { holdMs: 150 });
    const agent = await playAgent(ctx, url);
    const timers = watchTimers(ctx);
    for (const round of [1, 2]) {
      const reply = await replyOf(ctx, agent.poll(), `poll ${round} with holdMs 150`, 1500);
      check(reply.status === 200 && (reply.body as { status?: unknown })?.status === 'timeout' && reply.ms >= 120, {
        expected: `poll ${round}: held about 150 ms, then 200 { "status": "timeout" }`,
        actual: `after ${Math.round(reply.ms)} ms: ${describeReply(reply)}`,
      });
    }
    const holds = timers.all.filter((t) => t.ms === 150).length;
    check(holds >= 2, { expected: 'a timer of exactly holdMs (150 ms) for each of the two polls', actual: `your relay's timers: ${showDelay(timers.all.map((t) => t.ms))}` });
  },
});

tests.push({
  id: 'newer-poll-ends-older',
  title: 'a second poll of the same session ends the held one at once with { status: "timeout" }, and is held itself',
  look: 'server.ts TODO 4: if (session.held) answerPoll(agent, session, { status: "timeout" }) before anything else.',
  timeoutMs: 10_000,
  async run(ctx) {
    // An offlineAfterMs no other timer has, and long: the test reads the timer's state, it never waits for it.
    const offlineAfterMs = 43_210;
    const { url } = await serveRelay(ctx, { offlineAfterMs });
    const agent = await playAgent(ctx, url);
    const older = agent.poll();
    await expectHeld(ctx, older, 'the first poll', 'server.ts TODO 4');
    const timers = watchTimers(ctx);
    const newer = agent.poll();
    const reply = await replyOf(ctx, older, 'the first poll, once a second one came');
    check(reply.status === 200 && (reply.body as { status?: unknown })?.status === 'timeout', { expected: '200 { "status": "timeout" } for the older poll', actual: describeReply(reply) });
    await expectHeld(ctx, newer, 'the newer poll', 'server.ts TODO 4');
    const counting = timers.pending().filter((t) => t.ms === offlineAfterMs);
    check(counting.length === 0, {
      expected: `no offline timer (offlineAfterMs, ${offlineAfterMs} ms) running while the newer poll is held: a held poll means the agent is online`,
      actual: `${counting.length} such timer(s) still running — when it fires, the session ends with a poll held and the agent gets 401`,
      look: 'server.ts: answering the older poll (answerPoll) starts the offline count; hold() must stop it for the newer one.',
    });
    startQuery(ctx, url, { query: 'for-the-newer' });
    const work = await replyOf(ctx, newer, 'the newer poll, after a query', AT_ONCE_MS, POLL_LOOK);
    check((work.body as { requests?: WorkItem[] } | undefined)?.requests?.[0]?.query === 'for-the-newer', { expected: 'the query delivered to the newer poll', actual: describeReply(work) });
  },
});

tests.push({
  id: 'agent-polls-again',
  title: 'the agent asks again at once after a timeout, sends its next poll before it answers, and answers a batch in one request',
  look: 'agent.ts TODO 10 (poll again at once, answerAll not awaited) and TODO 11 (one POST /answers per batch).',
  timeoutMs: 10_000,
  async run(ctx) {
    const relay = await playRelay(ctx);
    const database = await openDatabase(ctx);
    const start = await loadFunction<(o: Record<string, unknown>) => { stop(): void }>(ctx, 'agent.ts', 'startAgent');
    const errors: unknown[] = [];
    const agent = start({ relayUrl: relay.url, name: SHOP.name, secret: SHOP.secret, database, batch: 3, retryMs: 5000, maxRetryMs: 5000, onError: (error: unknown) => void errors.push(error) });
    ctx.defer(() => agent.stop());
    await acceptLogin(ctx, relay);
    const first = await relay.next("your agent's first poll", AT_ONCE_MS, 'agent.ts TODO 10');
    check(first.path === '/agents/shop/work?max=3' && first.headers.authorization === 'Bearer token-one', { expected: 'GET /agents/shop/work?max=3 (the agent\'s batch) with "Authorization: Bearer token-one" (the token of the login)', actual: `${first.method} ${first.path} ${show(first.headers.authorization)}` });
    first.respond(200, { status: 'timeout' });
    const second = await relay.next('a new poll at once after { status: "timeout" } (no pause: a timeout is routine)', 300, 'agent.ts TODO 10: after a timeout, poll again at once.');
    check(isPoll(second), { expected: 'GET /agents/shop/work after the timeout', actual: `${second.method} ${second.path}` });
    const ids = ['a'.repeat(22), 'b'.repeat(22), 'c'.repeat(22)];
    second.respond(200, {
      status: 'work',
      requests: [
        { id: ids[0], query: 'customerById', params: { id: 3 } },
        { id: ids[1], query: 'countNotes', params: { customerId: 3 } },
        { id: ids[2], query: 'noSuchQuery', params: {} },
      ],
    });
    const third = await relay.next('the next poll, sent as soon as the work arrived', AT_ONCE_MS, 'agent.ts TODO 10');
    check(isPoll(third), {
      expected: 'the next GET /agents/shop/work BEFORE the answers: the relay sees the agent waiting again while it works',
      actual: `${third.method} ${third.path} came first`,
      look: 'agent.ts TODO 10: start answerAll() without awaiting it; TODO 11 lets the poll leave first (setImmediate).',
    });
    const answers = await relay.next('POST /agents/shop/answers with the three answers', AT_ONCE_MS, 'agent.ts TODO 11');
    const list = (answers.body as { answers?: Array<{ id?: unknown; status?: unknown; result?: unknown; error?: unknown }> } | undefined)?.answers;
    check(answers.method === 'POST' && answers.path === '/agents/shop/answers' && list?.length === 3, {
      expected: 'ONE POST /agents/shop/answers with { "answers": [three answers] }',
      actual: `${answers.method} ${answers.path} ${show(answers.body)}`,
      look: 'agent.ts TODO 11: answer the whole batch in one request.',
    });
    const byId = new Map(list.map((a) => [a.id, a]));
    check(byId.get(ids[0])?.status === 200 && (byId.get(ids[0])?.result as { customer?: { name?: unknown } })?.customer?.name === 'Grace Hopper', { expected: `the answer for ${ids[0]}: status 200 with customer 3 (Grace Hopper)`, actual: show(byId.get(ids[0])) });
    check(byId.get(ids[1])?.status === 200 && show(byId.get(ids[1])?.result) === show({ count: 0 }), { expected: `the answer for ${ids[1]}: status 200 { count: 0 }`, actual: show(byId.get(ids[1])) });
    check(byId.get(ids[2])?.status === 400 && typeof byId.get(ids[2])?.error === 'string', { expected: `the answer for ${ids[2]} (an unknown query): status 400 with an error`, actual: show(byId.get(ids[2])), look: 'database.ts TODO 3' });
    // The relay refuses one of them (its caller left): reported, never sent again.
    answers.respond(410, { error: 'the caller stopped waiting', accepted: ids.slice(0, 2), refused: [{ id: ids[2], status: 410, error: 'the caller stopped waiting' }] });
    const reported = await waitUntil(() => (errors.length > 0 ? true : undefined), { withinMs: AT_ONCE_MS });
    check(reported, { expected: 'the refused answer reported with onError', actual: 'onError was not called', look: 'agent.ts TODO 11: a reply other than 200 goes to onError.' });
    third.respond(200, { status: 'timeout' });
    const next = await relay.next('the poll after that timeout');
    check(isPoll(next), { expected: 'the next request a poll: a refused answer is never sent again', actual: `${next.method} ${next.path} ${show(next.body)}`, look: 'agent.ts TODO 11: refused answers are reported, never retried.' });
  },
});

tests.push({
  id: 'agent-stops',
  title: 'stop() ends the agent: its held poll is given up, no request follows, and no timer of its code is left',
  look: 'agent.ts: stop() (given) aborts the requests in flight and ends the pause; TODO 10 must leave the loop when stopped.',
  timeoutMs: 10_000,
  async run(ctx) {
    const relay = await playRelay(ctx);
    const database = await openDatabase(ctx);
    const timers = watchTimers(ctx);
    const start = await loadFunction<(o: Record<string, unknown>) => { stop(): void }>(ctx, 'agent.ts', 'startAgent');
    const agent = start({ relayUrl: relay.url, name: SHOP.name, secret: SHOP.secret, database, retryMs: 100, maxRetryMs: 100, onError: () => undefined });
    ctx.defer(() => agent.stop());
    await acceptLogin(ctx, relay);
    const first = await relay.next("your agent's first poll", AT_ONCE_MS, 'agent.ts TODO 10');
    first.respond(503, { error: 'busy' });
    await relay.next('a poll after the pause that follows the error', AT_ONCE_MS, 'agent.ts TODO 10: pause, then poll again.');
    ctx.step('calling stop() while a poll is held');
    while (await timers.next(0)) {
      // every timer so far is taken: the next one is one that starts after stop()
    }
    agent.stop();
    const count = relay.seen.length;
    // A timer that starts now (a pause after the aborted poll) is found by the check below.
    await timers.next(HELD_MS);
    await checkNoTimerLeft(ctx, timers, 'after stop()');
    check(relay.seen.length === count, { expected: 'no request after stop()', actual: `${relay.seen.length - count} more: ${relay.seen.slice(count).map((r) => `${r.method} ${r.path}`).join(', ')}` });
  },
});

tests.push({
  id: 'relay-close',
  title: "the relay's close() answers what it holds and leaves no timer behind",
  look: 'server.ts: close() (given) calls shutdown(); TODO 9: every waiter\'s deadline timer is in pending.waiters, where shutdown() clears it.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url, app } = await serveRelay(ctx, { offlineAfterMs: 5000 });
    const timers = watchTimers(ctx);
    const agent = await playAgent(ctx, url);
    const poll = agent.poll();
    await expectHeld(ctx, poll, "the agent's poll", 'server.ts TODO 4');
    const query = startQuery(ctx, url, { query: 'q' });
    await replyOf(ctx, poll, 'the held poll, after a query', AT_ONCE_MS, POLL_LOOK);
    const poll2 = agent.poll();
    await expectHeld(ctx, poll2, 'the next poll', 'server.ts TODO 4');
    ctx.step('calling close()');
    await app.close?.();
    expectStatus(await replyOf(ctx, query, 'the waiting query after close()'), 503, 'the waiting query after close()');
    await checkNoTimerLeft(ctx, timers, 'after close()', 'server.ts: shutdown() clears the held poll\'s timer, each waiter\'s deadline and the offline timer.');
  },
});

tests.push({
  id: 'agent-backoff',
  title: 'after errors the agent pauses retryMs, doubling up to maxRetryMs; any answer resets it; a 401 makes it log in again',
  look: 'agent.ts TODO 10: failuresInARow, pause(min(retryMs * 2 ** (failuresInARow - 1), maxRetryMs)), reset after an answer.',
  timeoutMs: 5000,
  async run(ctx) {
    const relay = await playRelay(ctx);
    const database = await openDatabase(ctx);
    const timers = watchTimers(ctx, { fastForward: true });
    const start = await loadFunction<(o: Record<string, unknown>) => { stop(): void }>(ctx, 'agent.ts', 'startAgent');
    const agent = start({ relayUrl: relay.url, name: SHOP.name, secret: SHOP.secret, database, retryMs: 100, maxRetryMs: 400, onError: () => undefined });
    ctx.defer(() => agent.stop());
    await acceptLogin(ctx, relay);
    for (let i = 0; i < 4; i++) (await relay.next(`poll ${i + 1}`, AT_ONCE_MS, 'agent.ts TODO 10: poll again after the pause.')).respond(503, { error: 'busy' });
    const poll = await relay.next('a poll after the fourth error', AT_ONCE_MS, 'agent.ts TODO 10');
    poll.respond(200, { status: 'timeout' });
    (await relay.next('a poll after the timeout')).respond(503, { error: 'busy' });
    (await relay.next('a poll after that error')).respond(401, { error: 'log in again' });
    const relogin = await relay.next('a new login after the 401', AT_ONCE_MS, 'agent.ts: poll() forgets the token on a 401; TODO 10 logs in when there is none.');
    check(relogin.method === 'POST' && relogin.path === '/agents/shop/login', { expected: 'POST /agents/shop/login after a 401 on the poll', actual: `${relogin.method} ${relogin.path}` });
    relogin.respond(200, { token: 'token-two', holdMs: LONG_MS, offlineAfterMs: 2000, maxBatch: 100 });
    const after = await relay.next('a poll with the new token');
    check(isPoll(after) && after.headers.authorization === 'Bearer token-two', { expected: 'the poll after the new login carries "Bearer token-two"', actual: `${after.method} ${after.path} ${show(after.headers.authorization)}` });
    const pauses = timers.all.filter((t) => typeof t.ms === 'number' && (t.ms as number) >= 50).map((t) => t.ms);
    check(show(pauses) === show([100, 200, 400, 400, 100, 200]), {
      expected: 'pauses of [100, 200, 400, 400] after four errors in a row (capped at maxRetryMs), none after the timeout, then [100] and [200] for the next two errors',
      actual: `the pauses your agent's timers asked for: ${showDelay(pauses)}`,
    });
  },
});

tests.push({
  id: 'caller-deadline-504',
  title: 'a caller whose query is not answered within deadlineMs gets 504 saying it was not answered in time',
  look: 'server.ts TODO 9: a deadline timer per waiting caller, 504 when it fires.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { deadlineMs: 200 });
    const agent = await playAgent(ctx, url);
    const timers = watchTimers(ctx);
    const pending = startQuery(ctx, url, { query: 'slow' });
    await agent.work('taking the query and not answering it');
    const reply = await replyOf(ctx, pending, 'a query nobody answers (deadlineMs 200)', 1500);
    check(reply.status === 504 && isErrorBody(reply.body) && reply.ms >= 150, {
      expected: '504 with {"error": "…not answered in time…"} after about 200 ms',
      actual: `after ${Math.round(reply.ms)} ms: ${describeReply(reply)}`,
    });
    check(/time/i.test(String((reply.body as { error?: unknown }).error)), { expected: 'the 504 error to say the agent did not answer in time', actual: describeReply(reply) });
    check(timers.all.some((t) => t.ms === 200), { expected: 'a timer of exactly deadlineMs (200 ms) for the waiting caller', actual: `your relay's timers: ${showDelay(timers.all.map((t) => t.ms))}` });
  },
});

tests.push({
  id: 'offline-503-fast',
  title: 'a query for an agent that is not connected gets 503 at once, not at the deadline',
  look: 'server.ts TODO 8: no session → 503 at once, with Retry-After.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { offlineAfterMs: 150 });
    const reply = await replyOf(ctx, startQuery(ctx, url, { query: 'customerById', params: { id: 1 } }), 'a query for an agent that never logged in', 2000);
    check(reply.status === 503 && isErrorBody(reply.body) && reply.ms < 1500, { expected: '503 with {"error": "…"} at once (the deadline is 60 s)', actual: `after ${Math.round(reply.ms)} ms: ${describeReply(reply)}` });
    check(/^\d+$/.test(reply.headers.get('retry-after') ?? ''), { expected: 'a Retry-After header in seconds with the 503', actual: show(reply.headers.get('retry-after')) });
    const timers = watchTimers(ctx);
    // Logged in, then no poll: online for offlineAfterMs, then offline.
    await playAgent(ctx, url);
    const queued = await replyOf(ctx, startQuery(ctx, url, { query: 'queued' }), 'a query queued for an agent that logged in and never polls', 1500, 'server.ts TODO 5: when the agent goes offline, what is queued gets 503 (it did not run).');
    expectStatus(queued, 503, 'a query still queued when its agent went offline (offlineAfterMs 150)', 'server.ts TODO 5');
    const after = await replyOf(ctx, startQuery(ctx, url, { query: 'after' }), 'a query once the agent is offline', 2000);
    check(after.status === 503 && after.ms < 1500, { expected: 'a query for an agent gone offline: 503 at once (the deadline is 60 s)', actual: `after ${Math.round(after.ms)} ms: ${describeReply(after)}` });
    // The caller of "queued" was told it did not run: the agent's next session must never get it.
    const back = await playAgent(ctx, url);
    const first = await outcomeWithin(back.poll(), HELD_MS);
    const requests = first?.kind === 'reply' ? (first.reply.body as { status?: unknown; requests?: WorkItem[] } | undefined)?.requests : undefined;
    check(!requests?.some((r) => r.query === 'queued'), {
      expected: "the agent, logged in again, is never handed the query whose caller got 503 (\"it did not run\")",
      actual: `its first poll brought ${show(requests?.map((r) => r.query))}`,
      look: 'server.ts TODO 5: take what was queued out of agent.queue when the agent goes offline (finish() does not).',
    });
    check(timers.all.some((t) => t.ms === 150), { expected: 'a timer of exactly offlineAfterMs (150 ms) started at the login', actual: `your relay's timers: ${showDelay(timers.all.map((t) => t.ms))}`, look: 'server.ts: startOfflineTimer (given), called at the login and whenever a poll ends.' });
  },
});

tests.push({
  id: 'agent-killed-mid-request',
  title: 'an agent killed (SIGKILL) while it has a query: its caller gets 502 or 503 promptly, and the query is never delivered again',
  look: 'server.ts TODO 5: when the session ends, 502 for what was delivered, 503 for what was queued; never queued again.',
  timeoutMs: 25_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { offlineAfterMs: 500 });
    const agent = await startAgentProcess(ctx, url);
    const warm = await replyOf(ctx, startQuery(ctx, url, { query: 'countNotes', params: { customerId: 1 } }), 'a first query to the agent process', 3000);
    expectStatus(warm, 200, 'countNotes through the agent process');
    ctx.step('freezing the agent (SIGSTOP), sending a write, then killing it (SIGKILL)');
    agent.child.kill('SIGSTOP');
    // Usually the frozen agent holds a poll, and the write is delivered to it: "mid-request".
    const pending = startQuery(ctx, url, { query: 'addNote', params: { customerId: 1, text: 'written at most once' } });
    await outcomeWithin(pending, HELD_MS);
    await agent.kill('SIGKILL');
    const reply = await replyOf(ctx, pending, 'the query whose agent was killed', 3000);
    check((reply.status === 502 || reply.status === 503) && isErrorBody(reply.body), { expected: '502 (it may have run) or 503 (it did not) within about offlineAfterMs (500 ms), never a hang', actual: describeReply(reply) });
    const again = await playAgent(ctx, url);
    const poll = await outcomeWithin(again.poll(), 500);
    const items = poll?.kind === 'reply' ? ((poll.reply.body as { requests?: WorkItem[] } | undefined)?.requests ?? []) : [];
    check(!items.some((item) => item.query === 'addNote'), { expected: 'the write of the killed agent never delivered again (at most once)', actual: `the new session got ${show(items)}` });
  },
});

tests.push({
  id: 'relay-restart',
  title: 'when the relay is killed and restarted, a waiting caller gets a clear error and the agent reconnects by itself',
  look: 'agent.ts TODO 10 (back-off, log in again) and caller.ts TODO 12 (QueryError status 0 when the connection fails).',
  timeoutMs: 40_000,
  async run(ctx) {
    const folder = await temporaryFolder(ctx);
    const file = path.join(folder, 'agents.json');
    writeFileSync(file, JSON.stringify({ agents: await agentConfigs(ctx) }));
    const first = await startLessonProcess(ctx, 'main.ts', ['--port', '0', '--agents', file, '--offline-after-ms', '1000']);
    const port = new URL(first.url).port;
    const agent = await startAgentProcess(ctx, first.url);
    const createCaller = await loadFunction<(o: unknown) => { query(q: string, p?: unknown): Promise<unknown> }>(ctx, 'caller.ts', 'createCaller');
    const caller = createCaller({ relayUrl: first.url, agent: SHOP.name, apiKey: SHOP.key });
    await within(caller.query('countNotes', { customerId: 1 }).catch(() => undefined), 3000, undefined);
    ctx.step('a query held at the relay, then SIGKILL to the relay');
    agent.child.kill('SIGSTOP');
    const outcome = caller.query('countNotes', { customerId: 2 }).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await within(outcome, HELD_MS, undefined);
    await first.kill('SIGKILL');
    agent.child.kill('SIGCONT');
    const result = await within(outcome, 2000, undefined);
    check(result && !result.ok && (result.error as { status?: unknown }).status === 0 && /may or may not/i.test(String((result.error as Error).message)), {
      expected: 'the waiting query rejected with a QueryError of status 0 saying the query may or may not have run',
      actual: result ? (result.ok ? `it resolved with ${show(result.value)}` : `${describeError(result.error)} (status ${show((result.error as { status?: unknown }).status)})`) : 'still waiting after 2 s',
      look: 'caller.ts: a fetch that fails becomes QueryError(0, …) (given); TODO 12 must not hide it.',
    });
    await startLessonProcess(ctx, 'main.ts', ['--port', port, '--agents', file]);
    check(await agent.connections(2, 10_000), {
      expected: 'the agent to print "connected … as shop" a second time once the relay is back (back-off, then log in again)',
      actual: `its output:\n${agent.output().trim().slice(-600)}`,
    });
    const reply = await replyOf(ctx, startQuery(ctx, `http://127.0.0.1:${port}`, { query: 'customerById', params: { id: 5 } }), 'a query to the restarted relay', 3000);
    expectStatus(reply, 200, 'customerById through the restarted relay');
  },
});

tests.push({
  id: 'idempotency-join',
  title: 'a retry with the same Idempotency-Key while the first is running joins it: one work item, the same answer for both; later retries get the kept answer',
  look: 'server.ts TODO 7: keptFor(agent, scope) — a pending request is joined (wait), a kept answer is sent again.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const agent = await playAgent(ctx, url);
    const body = { query: 'addNote', params: { customerId: 1, text: 'once' } };
    const first = startQuery(ctx, url, body, { idempotencyKey: 'note-1' });
    const [item] = await agent.work('the first request with key note-1');
    const retry = startQuery(ctx, url, body, { idempotencyKey: 'note-1' });
    await expectHeld(ctx, retry, 'the retry while the first is running', 'server.ts TODO 7: join the pending request.');
    const second = agent.poll();
    await expectHeld(ctx, second, 'the next poll (the retry must not be a second work item)', 'server.ts TODO 7: a retry is never queued a second time.');
    second.abort();
    expectStatus(await agent.answer([{ id: item!.id, status: 200, result: { note: { id: 7 } } }]), 200, 'the answer to the first request');
    for (const [name, pending] of [['the first', first], ['the retry', retry]] as const) {
      const reply = await replyOf(ctx, pending, name);
      check(reply.status === 200 && show(reply.body) === show({ result: { note: { id: 7 } } }), { expected: `${name}: 200 { "result": { "note": { "id": 7 } } }`, actual: describeReply(reply) });
    }
    const later = await replyOf(ctx, startQuery(ctx, url, body, { idempotencyKey: 'note-1' }), 'a retry after the answer');
    check(later.status === 200 && show(later.body) === show({ result: { note: { id: 7 } } }), { expected: 'a later retry: the kept answer at once', actual: describeReply(later) });
    const other = await replyOf(ctx, startQuery(ctx, url, { query: 'addNote', params: { customerId: 2, text: 'other' } }, { idempotencyKey: 'note-1' }), 'the same key with other params');
    expectStatus(other, 422, 'the same Idempotency-Key with other params');
  },
});

tests.push({
  id: 'waiters-bounded',
  title: 'at most 16 callers wait on one request (retries with its key included): the 17th gets 429 with Retry-After',
  look: 'server.ts TODO 9: wait() refuses a caller past MAX_WAITERS_PER_QUERY with 429.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const agent = await playAgent(ctx, url);
    const body = { query: 'addNote', params: { customerId: 1, text: 'popular' } };
    const first = startQuery(ctx, url, body, { idempotencyKey: 'busy' });
    await agent.work('the first request with key "busy"');
    // 16 more callers with the key, all at once: whichever reaches the relay last is the 17th
    // waiter. The order they arrive in is the network's, so the test does not guess it: the
    // one answered must be answered 429, and the other 15 must still be held.
    const retries = Array.from({ length: 16 }, () => startQuery(ctx, url, body, { idempotencyKey: 'busy' }));
    ctx.step('waiting for one of 16 more callers with the same key to be refused');
    const answered = await within(Promise.race(retries.map((pending) => pending.outcome.then(() => pending))), AT_ONCE_MS, undefined);
    check(answered !== undefined, { expected: `one of 16 more callers with the same key (17 in all) answered 429 within ${AT_ONCE_MS} ms`, actual: 'all 16 were still held' });
    const extraOutcome = answered.settled()!;
    check(extraOutcome.kind === 'reply', { expected: 'the 17th caller answered 429', actual: 'its connection broke' });
    const extra = extraOutcome.reply;
    expectStatus(extra, 429, 'the 17th caller waiting on one request');
    const others = retries.filter((pending) => pending !== answered);
    await expectHeld(ctx, others[others.length - 1]!, 'the other retries (16 callers in all)', 'server.ts TODO 9: up to 16 callers wait.');
    const early = [first, ...others].map((p) => p.settled()).filter((o) => o !== undefined);
    check(early.length === 0, { expected: 'the first request and 15 of its retries all held', actual: `${early.length} of them answered: ${early.map((o) => (o.kind === 'reply' ? describeReply(o.reply) : 'a broken connection')).join('; ')}` });
    check(/^\d+$/.test(extra.headers.get('retry-after') ?? ''), { expected: 'a Retry-After header with the 429', actual: show(extra.headers.get('retry-after')) });
  },
});

tests.push({
  id: 'idempotency-one-row',
  title: 'addNote sent three times with one Idempotency-Key adds one row to the agent\'s database; without a key, each send adds one',
  look: 'server.ts TODO 7 (at most one execution per key) and database.ts TODO 2 (addNote).',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url, database } = await relayWithAgent(ctx);
    const body = { query: 'addNote', params: { customerId: 2, text: 'call back on Monday' } };
    const replies = await Promise.all([0, 1].map((i) => replyOf(ctx, startQuery(ctx, url, body, { idempotencyKey: 'monday' }), `addNote ${i + 1} with key "monday"`)));
    replies.push(await replyOf(ctx, startQuery(ctx, url, body, { idempotencyKey: 'monday' }), 'addNote again with key "monday"'));
    check(replies.every((r) => r.status === 200 && show(r.body) === show(replies[0]!.body)), { expected: 'all three answered 200 with the same note', actual: replies.map(describeReply).join(' / ') });
    check(countRows(database, 'notes') === 1, { expected: '1 row in notes after three sends with one key', actual: `${countRows(database, 'notes')} rows` });
    await replyOf(ctx, startQuery(ctx, url, body), 'addNote without a key');
    check(countRows(database, 'notes') === 2, { expected: '2 rows after one more send without a key (no key, no deduplication)', actual: `${countRows(database, 'notes')} rows`, look: 'database.ts TODO 2: addNote inserts a row.' });
  },
});

tests.push({
  id: 'named-queries-only',
  title: 'the agent refuses raw SQL and unknown query names with 400, and runs nothing',
  look: 'database.ts TODO 3: only QUERIES\' own names; everything else 400.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url, database } = await relayWithAgent(ctx);
    for (const query of ['SELECT * FROM customers', 'DELETE FROM orders', 'dropTables', 'toString', '__proto__', 'constructor']) {
      const reply = await replyOf(ctx, startQuery(ctx, url, { query, params: {} }), `the query ${show(query)}`);
      expectStatus(reply, 400, `the query ${show(query)}`);
    }
    check(countRows(database, 'orders') === 12 && countRows(database, 'customers') === 5, { expected: 'the 12 orders and 5 customers untouched', actual: `${countRows(database, 'orders')} orders, ${countRows(database, 'customers')} customers` });
  },
});

tests.push({
  id: 'params-validated',
  title: 'parameters of the wrong type, out of range, missing or unexpected are refused with 400, and nothing is written',
  look: 'database.ts TODO 1 (integer, text) and TODO 2 (a note for a customer that exists).',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url, database } = await relayWithAgent(ctx);
    const bad: Array<[string, unknown]> = [
      ['customerById', { id: '1' }],
      ['customerById', { id: 1.5 }],
      ['customerById', { id: 0 }],
      ['customerById', {}],
      ['customerById', { id: 1, extra: true }],
      ['ordersByCustomer', { customerId: 1, limit: 101 }],
      ['searchCustomers', { prefix: '' }],
      ['searchCustomers', { prefix: 'x'.repeat(41) }],
      ['addNote', { customerId: 99, text: 'nobody' }],
      ['addNote', { customerId: 1, text: '   ' }],
      ['addNote', { customerId: 1, text: 'x'.repeat(501) }],
      ['addNote', { customerId: 1 }],
    ];
    for (const [query, params] of bad) {
      const reply = await replyOf(ctx, startQuery(ctx, url, { query, params }), `${query} ${show(params, 60)}`);
      expectStatus(reply, 400, `${query} with ${show(params, 60)}`);
    }
    check(countRows(database, 'notes') === 0, { expected: 'no note written by the refused addNote calls', actual: `${countRows(database, 'notes')} notes` });
    const search = await replyOf(ctx, startQuery(ctx, url, { query: 'searchCustomers', params: { prefix: 'a%' } }), 'searchCustomers {prefix: "a%"}');
    check(search.status === 200 && show((search.body as { result?: { customers?: unknown[] } })?.result?.customers) === '[]', { expected: 'searchCustomers "a%": no customer (the % is a literal character, not a wildcard)', actual: describeReply(search) });
  },
});

tests.push({
  id: 'agent-refusal-and-failure',
  title: "the agent's refusal reaches the caller with its status and sentence; an agent that failed (500) gives the caller 502",
  look: 'server.ts: replyFromAnswer (given) makes the reply; TODO 6 must hand it to finish() unchanged.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const agent = await playAgent(ctx, url);
    const refused = startQuery(ctx, url, { query: 'refused' });
    const failed = startQuery(ctx, url, { query: 'failed' });
    const items: WorkItem[] = [];
    while (items.length < 2) items.push(...(await agent.work(`collecting the two queries (${items.length} so far)`)));
    const byName = new Map(items.map((item) => [item.query, item.id]));
    expectStatus(await agent.answer([{ id: byName.get('refused'), status: 404, error: 'no such customer' }, { id: byName.get('failed'), status: 500, error: 'disk full' }]), 200, 'a refusal and a failure posted together');
    const one = await replyOf(ctx, refused, 'the refused query');
    check(one.status === 404 && (one.body as { error?: unknown })?.error === 'no such customer', { expected: '404 { "error": "no such customer" }: the agent\'s status and sentence', actual: describeReply(one) });
    const two = await replyOf(ctx, failed, 'the failed query');
    check(two.status === 502 && /disk full/.test(String((two.body as { error?: unknown })?.error)), { expected: '502 with an error that names the agent\'s failure ("disk full")', actual: describeReply(two) });
  },
});

tests.push({
  id: 'shutdown-503',
  title: "shutdown() answers the held poll and every waiting caller 503 at once, and every later query too",
  look: 'server.ts shutdown() (given) and TODO 9: a waiter must be in pending.waiters for shutdown() to find it.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url, app } = await serveRelay(ctx);
    const agent = await playAgent(ctx, url);
    const poll = agent.poll();
    await expectHeld(ctx, poll, 'the agent\'s poll', 'server.ts TODO 4');
    const taken = startQuery(ctx, url, { query: 'taken' });
    await replyOf(ctx, poll, 'the held poll, after a query', AT_ONCE_MS, POLL_LOOK);
    const queued = startQuery(ctx, url, { query: 'queued' });
    await expectHeld(ctx, queued, 'a query with no poll held', 'server.ts TODO 8');
    const poll2 = agent.poll(1);
    await replyOf(ctx, poll2, 'a poll that takes the queued query', AT_ONCE_MS, POLL_LOOK);
    const poll3 = agent.poll();
    await expectHeld(ctx, poll3, 'the next poll', 'server.ts TODO 4');
    ctx.step('calling shutdown()');
    app.shutdown();
    for (const [what, pending] of [['the held poll', poll3], ['a query delivered to the agent', taken], ['another delivered query', queued]] as const) {
      expectStatus(await replyOf(ctx, pending, `${what} after shutdown()`), 503, `${what} after shutdown()`);
    }
    expectStatus(await replyOf(ctx, startQuery(ctx, url, { query: 'later' }), 'a query after shutdown()'), 503, 'a query after shutdown()');
  },
});

tests.push({
  id: 'answers-checked',
  title: 'an answer counts only from the session it was delivered to, and only once; unknown ids are refused',
  look: 'server.ts TODO 6: 404 unknown, 403 not delivered to this session, 409 already answered.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const shop = await playAgent(ctx, url, SHOP);
    const other = await playAgent(ctx, url, OTHER);
    const pending = startQuery(ctx, url, { query: 'q' });
    const [item] = await shop.work('the query for shop');
    expectStatus(await other.answer([{ id: item!.id, status: 200, result: 'forged' }]), 403, 'the other agent answering shop\'s query');
    expectStatus(await shop.answer([{ id: 'x'.repeat(22), status: 200, result: 1 }]), 404, 'an answer with an id nobody asked');
    expectStatus(await shop.answer([{ id: item!.id, status: 200, result: 'real' }]), 200, 'shop answering its own query');
    const reply = await replyOf(ctx, pending, 'the query');
    check(show(reply.body) === show({ result: 'real' }), { expected: 'the caller to get { "result": "real" }, not the forged answer', actual: describeReply(reply) });
    expectStatus(await shop.answer([{ id: item!.id, status: 200, result: 'again' }]), 409, 'the same answer sent again (a replay)');
  },
});

tests.push({
  id: 'deadline-forgets-queued',
  title: 'a query still queued when its caller hits the deadline leaves the queue: it will never run',
  look: 'server.ts TODO 9: leave() takes a queued request nobody waits for out of the queue.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { deadlineMs: 150 });
    const agent = await playAgent(ctx, url);
    expectStatus(await replyOf(ctx, startQuery(ctx, url, { query: 'too-late' }), 'a query with no poll to take it (deadline 150 ms)', 1500), 504, 'the query at its deadline');
    const poll = agent.poll();
    await expectHeld(ctx, poll, 'the next poll (the abandoned query must not be delivered)', 'server.ts TODO 9: a queued request whose caller left is removed from the queue.');
  },
});

tests.push({
  id: 'deadline-keyed-kept',
  title: 'a keyed query whose caller hit the deadline stays with the agent: its late answer is accepted and a retry gets it',
  look: 'server.ts TODO 9: leave() keeps a delivered request with a key; TODO 6 accepts its answer; TODO 7 gives it to the retry.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { deadlineMs: 150 });
    const agent = await playAgent(ctx, url);
    const body = { query: 'addNote', params: { customerId: 1, text: 'slow write' } };
    const first = startQuery(ctx, url, body, { idempotencyKey: 'slow' });
    const [item] = await agent.work('the keyed query');
    expectStatus(await replyOf(ctx, first, 'the keyed query (deadline 150 ms)', 1500), 504, 'the keyed query at its deadline');
    expectStatus(await agent.answer([{ id: item!.id, status: 200, result: { note: { id: 1 } } }]), 200, 'the late answer to a keyed query');
    const retry = await replyOf(ctx, startQuery(ctx, url, body, { idempotencyKey: 'slow' }), 'the retry with key "slow"');
    check(retry.status === 200 && show(retry.body) === show({ result: { note: { id: 1 } } }), { expected: 'the retry to get the kept answer { "result": { "note": { "id": 1 } } } at once', actual: describeReply(retry) });
  },
});

tests.push({
  id: 'kept-answers-bounded',
  title: 'answers are kept for keepAnswersMs and at most maxKeptAnswers keys per agent; past either, a retry is a new request',
  look: 'server.ts: keptFor() and keep() (given) bound what TODO 7 keeps; TODO 7 must look keys up with keptFor().',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { maxKeptAnswers: 2, keepAnswersMs: 300 });
    const agent = await playAgent(ctx, url);
    const send = async (key: string) => {
      const pending = startQuery(ctx, url, { query: 'q', params: { key } }, { idempotencyKey: key });
      const items = await agent.work(`the query with key ${key}`);
      expectStatus(await agent.answer([{ id: items[0]!.id, status: 200, result: key }]), 200, `the answer for key ${key}`);
      return replyOf(ctx, pending, `the query with key ${key}`);
    };
    for (const key of ['k1', 'k2', 'k3']) await send(key);
    const kept = await replyOf(ctx, startQuery(ctx, url, { query: 'q', params: { key: 'k3' } }, { idempotencyKey: 'k3' }), 'a retry of k3 (kept)');
    check(show(kept.body) === show({ result: 'k3' }), { expected: 'the newest key (k3) still kept: its answer at once', actual: describeReply(kept) });
    const dropped = startQuery(ctx, url, { query: 'q', params: { key: 'k1' } }, { idempotencyKey: 'k1' });
    const again = await agent.work('a retry of k1, the oldest of three keys with maxKeptAnswers 2: dropped, so queued again');
    check(again[0]?.idempotencyKey === 'k1', { expected: 'the retry of k1 delivered as a new request (its key was the oldest, dropped)', actual: show(again) });
    dropped.abort();
    ctx.step('waiting for keepAnswersMs (300 ms) to pass');
    // Retry k3 until a retry is not answered with the kept answer; then it must reach the agent.
    const expired = await waitUntil(
      async () => {
        const retry = startQuery(ctx, url, { query: 'q', params: { key: 'k3' } }, { idempotencyKey: 'k3' });
        const outcome = await outcomeWithin(retry, AT_ONCE_MS);
        return outcome?.kind === 'reply' && show(outcome.reply.body) === show({ result: 'k3' }) ? undefined : true;
      },
      { withinMs: 3000, everyMs: 50 },
    );
    check(expired, { expected: 'a retry of k3 after keepAnswersMs (300 ms) treated as a new request (the kept answer expired)', actual: 'it still got the kept answer 3 s later' });
    const renewed = await agent.work('the retry of k3 after keepAnswersMs: a new request');
    check(renewed[0]?.idempotencyKey === 'k3', { expected: 'the retry of k3 delivered to the agent as a new request', actual: show(renewed) });
  },
});

tests.push({
  id: 'late-answer-410',
  title: 'an answer whose caller stopped waiting (deadline passed, no key) is refused with 410',
  look: 'server.ts TODO 9 (leave(): delivered without a key, forget(pending, false)) and TODO 6 (410).',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { deadlineMs: 150 });
    const agent = await playAgent(ctx, url);
    const pending = startQuery(ctx, url, { query: 'q' });
    const [item] = await agent.work('the query');
    expectStatus(await replyOf(ctx, pending, 'the query (deadline 150 ms)', 1500), 504, 'the caller at the deadline');
    expectStatus(await agent.answer([{ id: item!.id, status: 200, result: 'late' }]), 410, 'the late answer');
  },
});

tests.push({
  id: 'pending-limit-429',
  title: 'past maxPending queries for one agent, a query gets 429 with Retry-After, and nothing is queued',
  look: 'server.ts TODO 8: queued + delivered-unanswered ≥ maxPending → 429 with Retry-After: 1.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx, { maxPending: 3 });
    const agent = await playAgent(ctx, url);
    const held = [1, 2, 3].map((n) => startQuery(ctx, url, { query: `q${n}` }));
    for (const [i, pending] of held.entries()) await expectHeld(ctx, pending, `query ${i + 1} of 3`, 'server.ts TODO 8');
    const reply = await replyOf(ctx, startQuery(ctx, url, { query: 'q4' }), 'a fourth query with maxPending 3');
    expectStatus(reply, 429, 'the fourth query');
    check(/^\d+$/.test(reply.headers.get('retry-after') ?? ''), { expected: 'a Retry-After header in seconds with the 429', actual: show(reply.headers.get('retry-after')) });
    const items = await agent.work('everything queued', 10);
    check(show(items.map((i) => i.query)) === show(['q1', 'q2', 'q3']), { expected: 'only q1, q2, q3 queued (the refused q4 is not)', actual: show(items.map((i) => i.query)) });
  },
});

tests.push({
  id: 'replaced-session',
  title: 'a new login replaces the session: the old token is refused, and what was delivered to it gets 502',
  look: 'server.ts TODO 5: on "replaced", finish() what was delivered with 502; the queue waits for the new session.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const old = await playAgent(ctx, url);
    const taken = startQuery(ctx, url, { query: 'taken' });
    const [item] = await old.work('the query of the old session');
    const oldPoll = old.poll();
    await expectHeld(ctx, oldPoll, "the old session's next poll", 'server.ts TODO 4');
    const fresh = await playAgent(ctx, url);
    expectStatus(await replyOf(ctx, oldPoll, "the old session's held poll, after the new login"), 401, "the replaced session's held poll");
    const reply = await replyOf(ctx, taken, 'the query delivered to the replaced session');
    expectStatus(reply, 502, 'the query delivered to a session that was replaced');
    expectStatus(await old.answer([{ id: item!.id, status: 200, result: 1 }]), 401, 'an answer with the replaced token');
    const queued = startQuery(ctx, url, { query: 'for-the-new-one' });
    const items = await fresh.work('a query after the new login');
    check(items.length === 1 && items[0]!.query === 'for-the-new-one', { expected: 'the new session to get the new query', actual: show(items) });
    expectStatus(await fresh.answer([{ id: items[0]!.id, status: 200, result: 2 }]), 200, 'the new session answering');
    expectStatus(await replyOf(ctx, queued, 'the query answered by the new session'), 200, 'its caller');
  },
});

tests.push({
  id: 'who-may-do-what',
  title: 'unknown agent 404, no API key 401, a key for another agent 403, a wrong secret 401, a poll without a token 401',
  look: 'server.ts: agentOf, callerAllowed, sessionOf and onLogin (given), used by TODOs 4 and 8.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    await playAgent(ctx, url);
    const query = (agent: string, headers: Record<string, string>) => ask(url, 'POST', `/agents/${agent}/queries`, { json: { query: 'customerById', params: { id: 1 } }, headers });
    expectStatus(await query('nobody', { authorization: `Bearer ${SHOP.key}` }), 404, 'a query for an agent that does not exist');
    expectStatus(await query('shop', {}), 401, 'a query without an API key');
    expectStatus(await query('shop', { authorization: `Bearer ${OTHER.key}` }), 403, "a query with the other agent's key");
    expectStatus(await ask(url, 'POST', '/agents/shop/login', { json: { secret: 'wrong' } }), 401, 'a login with a wrong secret');
    expectStatus(await ask(url, 'GET', '/agents/shop/work'), 401, 'a poll without a token');
    expectStatus(await ask(url, 'GET', '/agents/shop/work', { headers: { authorization: 'Bearer not-a-token' } }), 401, 'a poll with a made-up token');
    // …and the right key is let through: the query waits for the agent.
    await expectHeld(ctx, startQuery(ctx, url, { query: 'customerById', params: { id: 1 } }), 'a query with the right key', 'server.ts TODO 8: an allowed query is queued and waits.');
  },
});

tests.push({
  id: 'bad-input',
  title: 'malformed bodies, oversize params and bad headers get a clear 4xx JSON error, never a 500',
  look: 'server.ts: problemWithQuery and replyFromAnswer (given), the body limits, and the Idempotency-Key check.',
  timeoutMs: 10_000,
  async run(ctx) {
    const { url } = await serveRelay(ctx);
    const agent = await playAgent(ctx, url);
    const auth = { authorization: `Bearer ${SHOP.key}`, 'content-type': 'application/json' };
    const cases: Array<[string, string, Record<string, string>, number]> = [
      ['broken JSON', '{"query": ', auth, 400],
      ['a JSON array', '["customerById"]', auth, 400],
      ['no query', '{"params": {}}', auth, 400],
      ['params that are a list', '{"query": "q", "params": [1]}', auth, 400],
      ['params over 4 KB', JSON.stringify({ query: 'q', params: { text: 'x'.repeat(5000) } }), auth, 413],
      ['an Idempotency-Key of 101 characters', '{"query": "q"}', { ...auth, 'idempotency-key': 'k'.repeat(101) }, 400],
    ];
    for (const [what, body, headers, status] of cases) {
      expectStatus(await ask(url, 'POST', '/agents/shop/queries', { body, headers }), status, what);
    }
    const tokenAuth = { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' };
    expectStatus(await ask(url, 'POST', '/agents/shop/answers', { body: '{"answers": [', headers: tokenAuth }), 400, 'answers that are broken JSON');
    expectStatus(await ask(url, 'POST', '/agents/shop/answers', { body: '{"answers": []}', headers: tokenAuth }), 400, 'an empty list of answers');
    expectStatus(await agent.answer([{ id: 'short', status: 200, result: 1 }]), 400, 'an answer with a malformed id');
    expectStatus(await ask(url, 'GET', '/agents/shop/work?max=0', { headers: { authorization: `Bearer ${agent.token}` } }), 400, 'a poll with max=0');
    // …and after all that, the relay still works.
    startQuery(ctx, url, { query: 'still-here' });
    const items = await agent.work('a good query after the bad input');
    check(items[0]?.query === 'still-here', { expected: 'a good query delivered after the bad input', actual: show(items) });
  },
});

tests.push({
  id: 'caller-library',
  title: 'createCaller().query() resolves with the result, rejects with the status, and retries 503 with one Idempotency-Key',
  look: 'caller.ts TODO 12.',
  timeoutMs: 10_000,
  async run(ctx) {
    const relay = await playRelay(ctx);
    const createCaller = await loadFunction<(o: unknown) => { query(q: string, p?: unknown, o?: unknown): Promise<unknown> }>(ctx, 'caller.ts', 'createCaller');
    const caller = createCaller({ relayUrl: relay.url, agent: SHOP.name, apiKey: SHOP.key });
    const ok = caller.query('customerById', { id: 1 });
    const first = await relay.next('POST /agents/shop/queries from the caller');
    check(first.path === '/agents/shop/queries' && first.headers.authorization === `Bearer ${SHOP.key}` && show(first.body) === show({ query: 'customerById', params: { id: 1 } }), {
      expected: `POST /agents/shop/queries with "Authorization: Bearer ${SHOP.key}" and {"query": "customerById", "params": {"id": 1}}`,
      actual: `${first.method} ${first.path} ${show(first.headers.authorization)} ${show(first.body)}`,
    });
    first.respond(200, { result: { customer: 'ok' } });
    check(show(await ok) === show({ customer: 'ok' }), { expected: 'query() to resolve with the result', actual: show(await ok) });

    const refused = caller.query('nope').then(() => undefined, (error: unknown) => error as { status?: unknown; message?: unknown });
    (await relay.next('the next query')).respond(400, { error: 'unknown query "nope"' });
    const error = await refused;
    check(error?.status === 400 && String(error.message).includes('unknown query'), { expected: 'query() to reject with a QueryError of status 400 and the relay\'s sentence', actual: error ? `status ${show(error.status)}, ${show(error.message)}` : 'it resolved' });

    const retried = caller.query('addNote', { customerId: 1, text: 'x' }, { retries: 3, retryMs: 10 });
    const attempt1 = await relay.next('the first attempt of a query with retries: 3');
    attempt1.respond(503, { error: 'agent offline' });
    const attempt2 = await relay.next('a retry after a 503', AT_ONCE_MS, 'caller.ts TODO 12: retry 0, 429, 503.');
    const key1 = attempt1.headers['idempotency-key'];
    check(typeof key1 === 'string' && key1.length > 0 && attempt2.headers['idempotency-key'] === key1, {
      expected: 'both attempts with the same Idempotency-Key (made once when none was given)',
      actual: `${show(key1)} then ${show(attempt2.headers['idempotency-key'])}`,
    });
    const timers = watchTimers(ctx, { fastForward: true });
    attempt2.respond(429, { error: 'busy' }, { 'retry-after': '2' });
    const attempt3 = await relay.next('a retry after a 429 with Retry-After: 2', AT_ONCE_MS, 'caller.ts TODO 12: retry 429 after Retry-After.');
    check(attempt3.headers['idempotency-key'] === key1 && timers.all.some((t) => t.ms === 2000), {
      expected: 'the retry after the 429 waited Retry-After (2 s: a timer of 2000 ms), with the same Idempotency-Key',
      actual: `timers ${showDelay(timers.all.map((t) => t.ms))}, key ${show(attempt3.headers['idempotency-key'])}`,
    });
    attempt3.respond(504, { error: 'not in time' });
    const last = await within(retried.then(() => 'resolved', (e: unknown) => e as { status?: unknown }), 1000, 'still waiting');
    check(typeof last === 'object' && last.status === 504 && relay.seen.length === 5, {
      expected: 'no retry after a 504 (the query may have run): a QueryError of status 504 after 3 attempts',
      actual: `${typeof last === 'string' ? last : `status ${show(last.status)}`}, after ${relay.seen.length - 2} attempts`,
    });
  },
});

export const grader: Grader = {
  lesson: '07-relay',
  tests,
  leftOut: tests.some((t) => t.id === 'firewall-namespace') ? [] : [{ id: 'firewall-namespace', why: firewallSkipReason ?? 'unknown' }],
};
