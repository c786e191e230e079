/**
 * The failure timeline: the recorder sees real HTTP exchanges (in-process servers, fetch,
 * node:http) and nothing of a passing test; the text drawing stays within its bounds and is
 * exact for stable recordings.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { runTest } from '../../shared/grading/engine.ts';
import { check } from '../../shared/grading/failure.ts';
import { note, startRecording, stopRecording, type Recording } from '../../shared/grading/recording.ts';
import { renderTimeline } from '../../shared/grading/timeline-text.ts';
import type { GraderTest } from '../../shared/grading/types.ts';
import { listen } from '../../shared/http.ts';

const poll = (start: number, end: number | undefined, body: string, status = 200) =>
  ({ label: 'GET /poll?after=0', start, headersAt: end, end, status: end === undefined ? undefined : status, chunks: end === undefined ? [] : [end], body });

describe('the text timeline', () => {
  it('draws an early answer, the post that came later and the expected moment, exactly', () => {
    const recording: Recording = {
      dropped: 0,
      notes: [{ at: 12, label: 'onMessage' }],
      expected: { at: 40, what: 'the held poll to stay open until the post' },
      exchanges: [poll(10, 12, '{"messages":[]}'), { label: 'POST /messages', start: 40, headersAt: 40, end: 40, status: 201, chunks: [40], body: '{"id":1}' }],
    };
    expect(renderTimeline(recording)).toBe(
      [
        'timeline             10 ms ····································· 40 ms',
        'GET /poll?after=0    o--|200 {"messages":[]}',
        'POST /messages                                          201 {"id":1} |',
        'your client             + onMessage',
        '                                                                     ^',
        '          expected at 40 ms: the held poll to stay open until the post',
      ].join('\n'),
    );
  });

  it('draws an open stream with its events as ticks, still open at the end', () => {
    const recording: Recording = {
      dropped: 0,
      notes: [],
      expected: { at: 100, what: 'event 3' },
      exchanges: [{ label: 'GET /events', start: 0, headersAt: 1, chunks: [1, 50, 75], body: 'retry: 1000\n\n' }],
    };
    expect(renderTimeline(recording)).toBe(
      [
        'timeline             0 ms ····································· 100 ms',
        'GET /events          o=======================*===========*===========>',
        '                                         expected at 100 ms: event 3 ^',
      ].join('\n'),
    );
  });

  it('keeps 5,000 exchanges within 15 lines of 70 columns, and says how many it left out', () => {
    const exchanges = Array.from({ length: 5000 }, (_, i) => poll(i, i + 0.5, '{"messages":[]}'));
    const text = renderTimeline({ dropped: 120, notes: [{ at: 3, label: 'onError' }], expected: { at: 2500, what: 'fewer polls' }, exchanges });
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(70);
    expect(text).toContain('… 4990 more: 4990 × GET /poll (200) and 120 not recorded');
  });

  it('says so when the learner\'s client sent nothing at all, and draws nothing for a test without HTTP', () => {
    const silent: Recording = { dropped: 0, notes: [], exchanges: [], awaitsClient: true, expected: { at: 1000, what: 'your client to send GET /messages' } };
    expect(renderTimeline(silent)).toBe('timeline: no request came from your client while the test ran\nexpected at 1000 ms: your client to send GET /messages');
    expect(renderTimeline({ ...silent, awaitsClient: false })).toBe('');
  });

  it('draws nothing for an empty recording, and colours only when asked', () => {
    expect(renderTimeline({ dropped: 0, notes: [], exchanges: [] })).toBe('');
    const coloured = renderTimeline({ dropped: 0, notes: [], expected: { at: 5, what: 'x' }, exchanges: [poll(0, 5, '[]')] }, 70, { bar: (t) => `<${t}>`, marker: (t) => `{${t}}` });
    expect(coloured).toContain('o<---');
    expect(coloured.split('\n').at(-1)).toMatch(/^\{.*\^.*\}$/);
  });
});

describe('the recorder', () => {
  it('records a request to an in-process server once (not again as fetch), with its answer', async () => {
    const server = await listen((req, res) => {
      if (req.url === '/held') return void setTimeout(() => res.end('late'), 30);
      res.writeHead(201).end('{"ok":true}');
    });
    try {
      startRecording();
      await (await fetch(`${server.url}/now`, { method: 'POST' })).text();
      await (await fetch(`${server.url}/held`)).text();
      note('onMessage');
      const recording = stopRecording();
      expect(recording.exchanges.map((e) => `${e.label} ${e.status} ${e.body}`)).toEqual(['POST /now 201 {"ok":true}', 'GET /held 200 late']);
      const held = recording.exchanges[1]!;
      expect(held.end! - held.start).toBeGreaterThanOrEqual(25);
      expect(recording.notes.map((n) => n.label)).toEqual(['onMessage']);
    } finally {
      await server.close();
    }
  });

  it('records fetch and node:http requests to a server in another process (here: one it cannot see)', async () => {
    // An http.Server created before recording starts still publishes its requests; to stand
    // for a server in another process, the exchange is recorded from the client side only
    // when the server is not in this process: a raw net server is not an http.Server.
    const net = await import('node:net');
    const raw = net.createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n')));
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const port = (raw.address() as { port: number }).port;
    try {
      startRecording();
      await fetch(`http://127.0.0.1:${port}/by-fetch`);
      await new Promise<void>((resolve) => http.get(`http://127.0.0.1:${port}/by-http`, (res) => res.resume().on('end', resolve)));
      const recording = stopRecording();
      expect(recording.exchanges.map((e) => `${e.label} ${e.status}`)).toEqual(['GET /by-fetch 204', 'GET /by-http 204']);
      expect(recording.exchanges.every((e) => e.end !== undefined)).toBe(true);
    } finally {
      raw.close();
    }
  });

  it('gives a failed test its timeline and a passing test none', async () => {
    const server = await listen((_req, res) => res.end('[]'));
    const test = (shouldPass: boolean): GraderTest => ({
      id: 't',
      title: 't',
      look: 'here',
      async run() {
        const body = await (await fetch(`${server.url}/poll`)).text();
        check(shouldPass, { expected: 'the poll held', actual: `answered ${body}` });
      },
    });
    try {
      const failed = await runTest(test(false), '.');
      expect(failed.timeline?.exchanges.map((e) => e.label)).toEqual(['GET /poll']);
      expect(failed.timeline?.expected?.what).toBe('the poll held');
      const passed = await runTest(test(true), '.');
      expect(passed.status).toBe('passed');
      expect(passed.timeline).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
