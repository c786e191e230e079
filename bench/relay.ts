/**
 * Measure 7: the relay's round trip (lesson 07, issue 16). A caller's query goes to the relay
 * and waits there; the agent's held poll carries it in; the agent runs it on its database and
 * posts the answer back; the relay hands it to the caller: caller → relay → agent → relay →
 * caller. Against it, the same queries answered by an express app beside the database
 * (bench/servers/relay-direct.ts), which is what you would do with no firewall: caller →
 * server → caller.
 *
 * The relay (solutions/07-relay/main.ts) and the agent (solutions/07-relay/agent.ts, its own
 * command line, `--batch 64`) each run as a process of their own, as they would on two
 * machines; so does the direct server. The callers are in this process: N keep-alive
 * connections for N in flight (bench/lib/lean-http.ts, a fraction of fetch's CPU per request,
 * so that the programs under test and not the callers are what is measured), each sending
 * what createCaller sends: `POST …/queries` with `Authorization: Bearer <key>` and
 * `{"query": "customerById", "params": {"id": 1 + i % 5}}`. Every answer is checked: status
 * 200, and the customer asked for (correlation). Latency is from writing the request to
 * having the whole answer; the CPU of each process under test is read from /proc.
 *
 * Two more kinds of row: the relay with an agent that takes one query per poll (`--batch 1`),
 * at 64 in flight, to show what batching does; and callers that are the lesson's own caller
 * library (createCaller, over Node's fetch) at 1 and 64 in flight, to show what the library
 * costs the caller's side (those callers are in the bench's process too).
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot, workRoot } from '../shared/paths.ts';
import { createCaller } from '../solutions/07-relay/caller.ts';
import { hashKey, hashSecret, newKey } from '../solutions/07-relay/secrets.ts';
import { leanConnection, requestBytes } from './lib/lean-http.ts';
import { cpuNs } from './lib/proc.ts';
import { startProcess, stopProcess, type Started } from './lib/spawn.ts';
import { median, percentile } from './lib/stats.ts';

export const RELAY_IN_FLIGHT = [1, 8, 64] as const;

/** How the caller reaches the database: through the relay and the agent, or straight to a server beside it. */
export type RelayPath = 'direct' | 'relay' | 'relay-batch-1' | 'relay-fetch';

export interface RelayRow {
  path: RelayPath;
  inFlight: number;
  queries: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the processes under test (relay + agent, or the direct server), per query. */
  cpuUsPerQuery: number;
  /** The relay's share of cpuUsPerQuery (the rest is the agent's); 0 for the direct server. */
  relayCpuUsPerQuery: number;
}

export interface RelaySettings {
  /** Queries per row, by how many are in flight. */
  queries: Record<number, number>;
  /** Unmeasured queries first (8 in flight): the JIT, the connections, the database's statements. */
  warmQueries: number;
}

const relayFolder = path.join(projectRoot, 'solutions', '07-relay');
const AGENT = 'bench';

interface Target {
  url: string;
  route: string;
  headers: Record<string, string>;
  /** The processes under test; the first is the one whose CPU is also shown alone. */
  pids: number[];
  /** Ask with the lesson's caller library (createCaller, fetch) instead of the lean client. */
  caller?: { apiKey: string };
}

/** One query in flight at a time: asks for customer `id` and checks the answer is that customer. */
interface Lane {
  ask(id: number): Promise<void>;
  close(): void;
}

function checkCustomer(result: unknown, id: number, what: string): void {
  if ((result as { customer?: { id?: unknown } } | undefined)?.customer?.id !== id) throw new Error(`${what} for customer ${id}: ${JSON.stringify(result)?.slice(0, 300)}`);
}

async function leanLane(target: Target): Promise<Lane> {
  const connection = await leanConnection(target.url);
  return {
    async ask(id) {
      const answer = await connection.send(requestBytes('POST', target.route, target.headers, JSON.stringify({ query: 'customerById', params: { id } })));
      const body = answer.status === 200 ? (JSON.parse(answer.body) as { result?: unknown }) : { result: `${answer.status} ${answer.body}` };
      checkCustomer(body.result, id, `POST ${target.route}`);
    },
    close: () => connection.close(),
  };
}

function callerLane(target: Target, apiKey: string): Lane {
  const caller = createCaller({ relayUrl: target.url, agent: AGENT, apiKey });
  return { ask: async (id) => checkCustomer(await caller.query('customerById', { id }), id, 'createCaller().query'), close: () => undefined };
}

/** `queries` customerById queries, `inFlight` at a time (one lane each); every answer checked. */
async function run(target: Target, inFlight: number, queries: number): Promise<{ latencies: number[]; seconds: number; cpuNs: number[] }> {
  const { caller } = target;
  const lanes = await Promise.all(Array.from({ length: inFlight }, () => (caller ? callerLane(target, caller.apiKey) : leanLane(target))));
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = target.pids.map(cpuNs);
  const started = performance.now();
  await Promise.all(
    lanes.map(async (lane) => {
      while (next < queries) {
        const id = 1 + (next++ % 5);
        const sent = performance.now();
        await lane.ask(id);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = target.pids.map((pid, index) => cpuNs(pid) - cpuBefore[index]!);
  for (const lane of lanes) lane.close();
  return { latencies, seconds, cpuNs: cpu };
}

async function measureRow(target: Target, kind: RelayPath, inFlight: number, queries: number): Promise<RelayRow> {
  const { latencies, seconds, cpuNs: cpu } = await run(target, inFlight, queries);
  const perQuery = (ns: number) => Math.round(ns / queries / 1000);
  return {
    path: kind,
    inFlight,
    queries,
    perSecond: Math.round(queries / seconds),
    p50Ms: median(latencies),
    p99Ms: percentile(latencies, 99),
    cpuUsPerQuery: perQuery(cpu.reduce((sum, ns) => sum + ns, 0)),
    relayCpuUsPerQuery: kind === 'direct' ? 0 : perQuery(cpu[0]!),
  };
}

const describeRow = (row: RelayRow) =>
  `   ${row.path}, ${row.inFlight} in flight: ${row.perSecond.toLocaleString('en')} queries/s, p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms, ${row.cpuUsPerQuery} µs CPU per query`;

/** The agent's command line, logged in to the relay at `url` with `secret`, taking `batch` queries per poll. */
function startAgentProcess(url: string, secret: string, batch: number): Promise<Started> {
  return startProcess(path.join(relayFolder, 'agent.ts'), ['--relay', url, '--name', AGENT, '--batch', String(batch)], /^connected /, { ...process.env, RELAY_AGENT_SECRET: secret });
}

export async function measureRelay(settings: RelaySettings, log: (line: string) => void): Promise<RelayRow[]> {
  const secret = newKey();
  const key = newKey();
  const folder = path.join(workRoot, 'bench', 'relay');
  await mkdir(folder, { recursive: true });
  const agentsFile = path.join(folder, 'agents.json');
  await writeFile(agentsFile, JSON.stringify({ agents: [{ name: AGENT, secretHash: await hashSecret(secret), callerKeyHashes: [hashKey(key)] }] }));
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const rows: RelayRow[] = [];
  const measureAll = async (target: Target, kind: RelayPath, counts: readonly number[]): Promise<void> => {
    await run(target, 8, settings.warmQueries);
    for (const inFlight of counts) {
      const row = await measureRow(target, kind, inFlight, settings.queries[inFlight]!);
      rows.push(row);
      log(describeRow(row));
    }
  };

  const direct = await startProcess(path.join(projectRoot, 'bench', 'servers', 'relay-direct.ts'), [], /^listening (http:\/\/\S+)/, { ...process.env, RELAY_CALLER_KEY: key });
  try {
    await measureAll({ url: direct.match[1]!, route: '/queries', headers, pids: [direct.child.pid!] }, 'direct', RELAY_IN_FLIGHT);
  } finally {
    await stopProcess(direct.child);
  }

  const relay = await startProcess(path.join(relayFolder, 'main.ts'), ['--port', '0', '--agents', agentsFile, '--max-pending', '1000'], /^listening (http:\/\/\S+)/);
  const relayUrl = relay.match[1]!;
  const target = (agent: Started): Target => ({ url: relayUrl, route: `/agents/${AGENT}/queries`, headers, pids: [relay.child.pid!, agent.child.pid!] });
  try {
    const batched = await startAgentProcess(relayUrl, secret, 64);
    try {
      await measureAll(target(batched), 'relay', RELAY_IN_FLIGHT);
      // The same, asked by the lesson's own caller library over fetch.
      await measureAll({ ...target(batched), caller: { apiKey: key } }, 'relay-fetch', [1, 64]);
    } finally {
      await stopProcess(batched.child, 'SIGTERM');
    }
    // One query per poll and per answer: what batching saves, where it matters most.
    const single = await startAgentProcess(relayUrl, secret, 1);
    try {
      await measureAll(target(single), 'relay-batch-1', [64]);
    } finally {
      await stopProcess(single.child, 'SIGTERM');
    }
  } finally {
    await stopProcess(relay.child);
  }
  return rows;
}
