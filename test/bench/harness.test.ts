/**
 * The benchmark harness works with every server it compares (npm run bench relies on it):
 * a few held clients per server, every broadcast reaching every client, the server's CPU
 * and memory read. Small counts: this checks the wiring, it measures nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { measureFanout, type FanoutResult, type Publish } from '../../bench/fanout.ts';
import { fanoutChart } from '../../bench/chart.ts';
import { bayeuxKinds, resultsMarkdown } from '../../bench/report.ts';
import type { ServerKind } from '../../bench/servers/serve.ts';
import { openEventStream, type StreamEvent } from '../../bench/lib/lean-sse.ts';
import { measureSse, sseKinds, Tally } from '../../bench/sse.ts';
import { measureScale, type ScaleSettings } from '../../bench/scale.ts';
import { redisAvailable } from '../../shared/redis.ts';

const kinds: ServerKind[] = ['ours', 'lesson03', 'bare', 'socketio', 'faye'];

/** 40 clients at each of `servers`, two measured broadcasts, and the figures of each server read. */
async function measured(servers: readonly ServerKind[], publish: Publish): Promise<FanoutResult[]> {
  const results = await measureFanout({ kinds: servers, counts: [40], runs: 1, settleRounds: 0, warmRounds: 2, publish, log: () => undefined, stepLimitMs: 15_000 });
  expect(results.map((r) => r.kind)).toEqual(servers);
  for (const result of results) {
    // measureFanout waits for every client to have every message; figures are read from /proc.
    expect(result.warm.cycleUs, `${result.kind}: server CPU per delivery`).toBeGreaterThan(0);
    expect(result.warm.lastMs, `${result.kind}: ${publish} → last delivery`).toBeGreaterThan(0);
  }
  return results;
}

describe('bench: fan-out harness', () => {
  it(`holds 40 clients at each server (${kinds.join(', ')}) and delivers every broadcast to all of them`, async () => {
    const results = await measured(kinds, 'post');
    const markdown = resultsMarkdown({ command: 'test', date: '2026-11-22', machine: 'test', node: process.version, commit: 'test', settings: {}, fanout: results });
    expect(markdown).toContain('| 40 |');
    const svg = fanoutChart(results, 'caption with <angle> & ampersand');
    expect(svg).toContain('caption with &lt;angle&gt; &amp; ampersand');
    expect(svg.match(/<rect x=/g)?.length, 'one bar per server and panel, plus the legend').toBe(kinds.length * 3 + kinds.length);
  }, 90_000);

  it(`holds 40 Bayeux subscribers at lesson 06 and Faye (and 40 polls at lesson 04) and delivers every publish to all of them`, async () => {
    const results = await measured(bayeuxKinds, 'bayeux');
    const markdown = resultsMarkdown({ command: 'test', date: '2026-11-30', machine: 'test', node: process.version, commit: 'test', settings: {}, bayeux: results });
    expect(markdown).toContain('## 6. Bayeux');
    expect(markdown.match(/: lesson 06 (within 1\.20× of lesson 04|ahead of Faye) \|/g)?.length, 'a goal row for each of the three measures against each of the two').toBe(6);
  }, 90_000);
});

describe('bench: measure 8 (Server-Sent Events)', () => {
  it(`runs a broadcast and a short stream at each server (${sseKinds.join(', ')}), every delivery checked, and reports the goals`, async () => {
    const log: string[] = [];
    const sse = await measureSse({ clients: 30, streamClients: 10, perSecond: 100, streamSeconds: 0.3, runs: 1, settleRounds: 1, warmRounds: 2, stepLimitMs: 15_000 }, (line) => log.push(line));
    expect(sse.broadcast.map((r) => r.kind)).toEqual(sseKinds);
    expect(sse.stream.map((r) => r.kind)).toEqual(sseKinds);
    for (const row of sse.broadcast) {
      expect(row.warm.cpuUs, `${row.kind}: server CPU per delivery`).toBeGreaterThan(0);
      expect(row.warm.lastMs, `${row.kind}: post → last delivery`).toBeGreaterThan(0);
      expect(row.warm.bytes, `${row.kind}: bytes per delivery`).toBeGreaterThan(0);
    }
    const bytes = Object.fromEntries(sse.broadcast.map((r) => [r.kind, r.warm.bytes]));
    expect(bytes.lesson04, 'a poll costs its whole answer and a re-poll; an event only itself').toBeGreaterThan(bytes.lesson08!);
    for (const row of sse.stream) {
      expect(row.messages).toBe(30);
      expect(row.p99Ms, `${row.kind}: p99 ≥ p50`).toBeGreaterThanOrEqual(row.p50Ms);
    }
    expect(log).toHaveLength(6);
    const markdown = resultsMarkdown({ command: 'test', date: '2026-11-30', machine: 'test', node: process.version, commit: 'test', settings: {}, sse });
    expect(markdown).toContain('## 8. Server-Sent Events');
    expect(markdown.match(/ \| (yes|\*\*no\*\*) \|$/gm)?.length, 'goals: two against lesson 04, six against bare SSE, one on p99').toBe(9);
  }, 90_000);

  it('a lost or repeated message is an error, not a figure', () => {
    const tally = new Tally(2);
    tally.deliver(0, 1, 0);
    tally.deliver(1, 1, 0);
    tally.deliver(0, 2, 0);
    expect(() => tally.check(2), 'client 1 never got message 2').toThrow(/client 1 has messages up to 1, not 2/);
    tally.deliver(1, 2, 0);
    tally.check(2);
    tally.deliver(0, 2, 0);
    expect(() => tally.check(2)).toThrow(/client 0 got message 2 again/);
    const skipped = new Tally(1);
    skipped.deliver(0, 2, 0);
    expect(() => skipped.check(2)).toThrow(/got message 2, but never 1/);
  });

  it('the lean event-stream client reads chunked bodies cut anywhere, CRLF lines, comments and multi-line data', async () => {
    const wire = ': ping\n\nretry: 1000\n\nid: 1\r\ndata: {"a":\r\ndata: "é"}\r\n\r\nevent: gap\nid: 9\ndata: x\n\n';
    const bytes = Buffer.from(wire);
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      // One byte at a time, with pauses, so that chunks and lines (and é's two bytes) are cut everywhere.
      let at = 0;
      const next = () => (at < bytes.length ? res.write(bytes.subarray(at, ++at), () => setImmediate(next)) : res.end());
      next();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const events: StreamEvent[] = [];
      const ended = new Promise<Error>((resolve) => {
        void openEventStream(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, '/events', { onEvent: (event) => events.push(event), onEnd: resolve });
      });
      expect((await ended).message).toMatch(/ended the stream/);
      expect(events).toEqual([
        { id: '1', event: 'message', data: '{"a":\n"é"}' },
        { id: '9', event: 'gap', data: 'x' },
      ]);
    } finally {
      server.close();
    }
  });
});

describe('bench: measure 9 (scale-out through Redis)', () => {
  const settings: ScaleSettings = { clients: 30, processes: [1, 2, 3], hopPosts: 10, streamClients: 12, streamProcesses: 3, perSecond: 100, streamSeconds: 0.3, runs: 1, settleRounds: 1, warmRounds: 2, stepLimitMs: 15_000 };
  const noRedis = redisAvailable();

  it.skipIf(noRedis !== undefined && process.env.CI !== 'true')('runs a broadcast over 1, 2 and 3 lesson 09 processes and lesson 04 alone, the Redis hop and a short stream, every delivery checked, and reports the goals and the estimate', async () => {
    const log: string[] = [];
    const scale = await measureScale(settings, (line) => log.push(line));
    if ('skipped' in scale) throw new Error(`measure 9 was skipped: ${scale.skipped}`);
    expect(scale.broadcast.map((r) => `${r.kind}×${r.processes}`)).toEqual(['lesson04×1', 'lesson09×1', 'lesson09×2', 'lesson09×3']);
    for (const row of scale.broadcast) {
      expect(row.warm.cpuUs, `${row.kind}×${row.processes}: CPU per delivery`).toBeGreaterThan(0);
      expect(row.warm.lastMs, `${row.kind}×${row.processes}: post → last delivery`).toBeGreaterThan(0);
      if (row.kind === 'lesson09') expect(row.warm.redisCpuUs, 'redis-server is among the processes measured').toBeGreaterThan(0);
    }
    expect(scale.hop.map((r) => `${r.kind}×${r.processes}${r.appendfsync ?? ''}`)).toEqual(['lesson04×1', 'lesson09×1', 'lesson09×1everysec']);
    for (const row of scale.hop) expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms);
    expect(scale.stream.map((r) => `${r.kind}×${r.processes}`)).toEqual(['lesson04×1', 'lesson09×3']);
    const [, streamed] = scale.stream;
    expect(streamed!.messages).toBe(30);
    expect(streamed!.redisCallsPerMessage.incr, 'one INCR per message, in the append script').toBe(1);
    expect(streamed!.redisRequestsPerMessage, 'the append, and at least one read').toBeGreaterThan(1);
    expect(scale.estimate.deliveriesPerSecondPerCore).toBeGreaterThan(0);
    expect(log).toHaveLength(4 + 3 + 2);
    const markdown = resultsMarkdown({ command: 'test', date: '2026-11-30', machine: 'test', node: process.version, commit: 'test', settings: {}, scale });
    expect(markdown).toContain('## 9. Scale-out through Redis');
    expect(markdown.match(/ \| (yes|\*\*no\*\*) \|$/gm)?.length, 'goals: the hop, the p99, and CPU at 1, 2 and 3 processes').toBe(5);
    expect(markdown).toMatch(/A million held clients, .* would need:\n\n- \*\*[\d,]+ cores\*\*: 1,000,000 deliveries\/s ÷ /);
  }, 180_000);

  it('without redis-server it says so and is skipped, except under CI=true, where that is a failure', async () => {
    const saved = { command: process.env.COMET_REDIS_SERVER, ci: process.env.CI };
    process.env.COMET_REDIS_SERVER = '/nonexistent/redis-server';
    try {
      process.env.CI = 'false';
      const log: string[] = [];
      const scale = await measureScale(settings, (line) => log.push(line));
      expect(scale).toEqual({ skipped: expect.stringMatching(/not on the PATH .* install it/) });
      expect(log).toEqual([expect.stringMatching(/skipped: /)]);
      const markdown = resultsMarkdown({ command: 'test', date: '2026-11-30', machine: 'test', node: process.version, commit: 'test', settings: {}, scale });
      expect(markdown).toMatch(/## 9\. .*\n\nSkipped: .*install it/);
      process.env.CI = 'true';
      await expect(measureScale(settings, () => undefined)).rejects.toThrow(/needs redis-server.*Under CI=true that is a failure/);
    } finally {
      for (const [name, value] of [['COMET_REDIS_SERVER', saved.command], ['CI', saved.ci]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
