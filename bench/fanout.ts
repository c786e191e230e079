/**
 * Measures 2 and 3: one message to N held clients, on each server in turn, with the clients
 * in a process of their own. For every broadcast it reads the server's CPU time (all its
 * threads) before the post, when the last client has the message (the window), and when
 * every client is held again (the full cycle, re-polls included).
 *
 * @module
 */
import { startChild } from './lib/child.ts';
import { cpuNs, rssKb } from './lib/proc.ts';
import { median } from './lib/stats.ts';
import type { ServerKind, ServerStats } from './servers/serve.ts';

/**
 * How a message is sent to a server that speaks Bayeux: through its own POST /messages
 * (`post`, the fan-out's way for every server), or as a Bayeux publish over HTTP, as any
 * Bayeux client would (`bayeux`). Servers that do not speak Bayeux always get POST /messages.
 */
export type Publish = 'post' | 'bayeux';

export interface FanoutOptions {
  kinds: readonly ServerKind[];
  counts: readonly number[];
  /** Fresh servers per kind and count; the figures are the median over them. */
  runs: number;
  /** Broadcasts after the first (cold) one that are not measured: the JIT is still at work. */
  settleRounds: number;
  /** Broadcasts measured after those; a run's warm figure is their median. */
  warmRounds: number;
  log: (line: string) => void;
  /** How long to wait for any one step (connecting everyone, one broadcast) before giving up. */
  stepLimitMs?: number;
  /** Default: `post`. */
  publish?: Publish;
}

export interface Round {
  /** Post to the last client having the message, ms (measured in the client process). */
  lastMs: number;
  /** Server CPU per delivered message, µs: post → last delivery. */
  windowUs: number;
  /** Server CPU per delivered message, µs: post → every client held again. */
  cycleUs: number;
}

export interface FanoutResult {
  kind: ServerKind;
  count: number;
  cold: Round;
  warm: Round;
  /** Server memory per held request, KB: (RSS with all held − RSS at start) / count. */
  rssPerHeldKb: number;
  runs: number;
}

export async function measureFanout(options: FanoutOptions): Promise<FanoutResult[]> {
  const results: FanoutResult[] = [];
  for (const count of options.counts) {
    // Kinds take turns inside each repetition, so that a slow minute of the machine falls
    // on all of them rather than on one.
    const runs = new Map<ServerKind, Array<{ cold: Round; warm: Round; rssPerHeldKb: number }>>();
    for (let run = 1; run <= options.runs; run++) {
      for (const kind of options.kinds) {
        const result = await oneRun(kind, count, options, options.log);
        options.log(`  ${kind.padEnd(8)} ${String(count).padStart(6)} held, run ${run}: warm ${result.warm.cycleUs.toFixed(0)} µs/delivery (cycle), ${result.warm.lastMs.toFixed(0)} ms post → last, ${result.rssPerHeldKb.toFixed(1)} KB/held`);
        runs.set(kind, [...(runs.get(kind) ?? []), result]);
      }
    }
    for (const kind of options.kinds) {
      const all = runs.get(kind)!;
      results.push({
        kind,
        count,
        cold: medianRound(all.map((r) => r.cold)),
        warm: medianRound(all.map((r) => r.warm)),
        rssPerHeldKb: median(all.map((r) => r.rssPerHeldKb)),
        runs: all.length,
      });
    }
  }
  return results;
}

/** BENCH_PROFILE=1 also writes V8 CPU profiles of each server and its clients over the warm broadcasts. */
const profiling = Boolean(process.env.BENCH_PROFILE);

async function oneRun(kind: ServerKind, count: number, { settleRounds, warmRounds, stepLimitMs = 120_000, publish = 'post' }: FanoutOptions, log: (line: string) => void) {
  const server = await startChild<{ url: string }>('servers/serve.ts', [kind]);
  const clients = await startChild<{ count: number }>('clients/fanout.ts', [kind, server.ready.url, String(count), publish]);
  try {
    const heldAgain = () => waitUntil(async () => (await server.ask<ServerStats>('stats')).open >= count, `${count} requests held at ${kind}`, stepLimitMs);
    const rssAtStart = rssKb(server.pid);
    await clients.ask('connect', stepLimitMs);
    await heldAgain();
    const rssPerHeldKb = (rssKb(server.pid) - rssAtStart) / count;
    const rounds: Round[] = [];
    const firstWarm = 1 + settleRounds;
    for (let round = 0; round < firstWarm + warmRounds; round++) {
      if (round === firstWarm && profiling) await Promise.all([server.ask('profile-start'), clients.ask('profile-start')]);
      const before = cpuNs(server.pid);
      const { lastMs } = await clients.ask<{ lastMs: number }>('broadcast', stepLimitMs);
      const windowNs = cpuNs(server.pid) - before;
      await heldAgain();
      const cycleNs = cpuNs(server.pid) - before;
      rounds.push({ lastMs, windowUs: windowNs / 1000 / count, cycleUs: cycleNs / 1000 / count });
    }
    if (profiling) log(`  CPU profiles of the warm broadcasts: ${await server.ask<string>('profile-stop')}, ${await clients.ask<string>('profile-stop')}`);
    return { cold: rounds[0]!, warm: medianRound(rounds.slice(firstWarm)), rssPerHeldKb };
  } catch (error) {
    throw new Error(`fan-out to ${count} clients of ${kind} (bench/servers/${kind}.ts, bench/clients/subscribers.ts): ${(error as Error).message}`);
  } finally {
    await clients.stop();
    await server.stop();
  }
}

function medianRound(rounds: readonly Round[]): Round {
  return {
    lastMs: median(rounds.map((r) => r.lastMs)),
    windowUs: median(rounds.map((r) => r.windowUs)),
    cycleUs: median(rounds.map((r) => r.cycleUs)),
  };
}

/** Asks `condition` every 10 ms until it holds; gives up with `what` after `withinMs`. */
export async function waitUntil(condition: () => Promise<boolean>, what: string, withinMs = 120_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`bench: gave up waiting for ${what} after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
