/**
 * Measure 1: naive polling (lesson 01) against held requests (lesson 04), the same clients
 * and messages, read from the server: requests and bytes per delivered message, and
 * delivery latency measured in the clients' process.
 *
 * @module
 */
import type { PollingRun } from './clients/polling.ts';
import { startChild } from './lib/child.ts';
import { percentile } from './lib/stats.ts';
import type { ServerStats } from './servers/serve.ts';

export interface PollingScenario {
  clients: number;
  messages: number;
  messageEveryMs: number;
}

export interface PollingResult extends PollingScenario {
  kind: 'lesson01' | 'ours';
  /** Deliveries that should have happened: every client, every message. */
  expected: number;
  delivered: number;
  requestsPerDelivery: number;
  bytesPerDelivery: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measurePolling(scenario: PollingScenario): Promise<PollingResult[]> {
  const { clients, messages, messageEveryMs } = scenario;
  const results: PollingResult[] = [];
  for (const kind of ['lesson01', 'ours'] as const) {
    const server = await startChild<{ url: string }>('servers/serve.ts', [kind]);
    const client = await startChild('clients/polling.ts', [kind, server.ready.url, String(clients), String(messages), String(messageEveryMs)]);
    try {
      const run = await client.ask<PollingRun>('run', messages * messageEveryMs + 30_000);
      const stats = await server.ask<ServerStats>('stats');
      const polls = stats.requests - run.messages; // every request but the posts
      results.push({
        ...scenario,
        kind,
        expected: clients * run.messages,
        delivered: run.deliveries,
        requestsPerDelivery: polls / run.deliveries,
        bytesPerDelivery: stats.bytes / run.deliveries,
        p50Ms: percentile(run.latenciesMs, 50),
        p99Ms: percentile(run.latenciesMs, 99),
      });
    } finally {
      await client.stop();
      await server.stop();
    }
  }
  return results;
}
