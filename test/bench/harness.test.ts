/**
 * The benchmark harness works with every server it compares (npm run bench relies on it):
 * a few held clients per server, every broadcast reaching every client, the server's CPU
 * and memory read. Small counts: this checks the wiring, it measures nothing.
 */
import { describe, expect, it } from 'vitest';
import { measureFanout } from '../../bench/fanout.ts';
import { fanoutChart } from '../../bench/chart.ts';
import { resultsMarkdown } from '../../bench/report.ts';
import type { ServerKind } from '../../bench/servers/serve.ts';

const kinds: ServerKind[] = ['ours', 'lesson03', 'bare', 'socketio', 'faye'];

describe('bench: fan-out harness', () => {
  it(`holds 40 clients at each server (${kinds.join(', ')}) and delivers every broadcast to all of them`, async () => {
    const results = await measureFanout({ kinds, counts: [40], runs: 1, settleRounds: 0, warmRounds: 2, log: () => undefined, stepLimitMs: 15_000 });
    expect(results.map((r) => r.kind)).toEqual(kinds);
    for (const result of results) {
      // measureFanout waits for every client to have every message; figures are read from /proc.
      expect(result.warm.cycleUs, `${result.kind}: server CPU per delivery`).toBeGreaterThan(0);
      expect(result.warm.lastMs, `${result.kind}: post → last delivery`).toBeGreaterThan(0);
    }
    const markdown = resultsMarkdown({ command: 'test', date: '2026-11-22', machine: 'test', node: process.version, commit: 'test', settings: {}, fanout: results });
    expect(markdown).toContain('| 40 |');
    const svg = fanoutChart(results, 'caption with <angle> & ampersand');
    expect(svg).toContain('caption with &lt;angle&gt; &amp; ampersand');
    expect(svg.match(/<rect x=/g)?.length, 'one bar per server and panel, plus the legend').toBe(kinds.length * 3 + kinds.length);
  }, 90_000);
});
