/**
 * Lesson 07's demo in the workshop server. The demo agent runs inside the workshop process as
 * an outbound-only client of the workshop's own port (which the workshop learns from its first
 * request): it opens no server of its own, a query through `/lessons/07-relay/api` (and the
 * reference's `/solutions/07-relay/api`) reaches it and comes back, and the relay's and the
 * agent's events are served to the page by `/api/lessons/07-relay/events`, a held GET. A
 * learner's agent.ts that does not load is replaced by the reference's, and the workshop says so.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { findLesson } from '../../shared/manifest.ts';
import { solutionsRoot, workRoot } from '../../shared/paths.ts';
import type { DemoEvent } from '../../shared/workshop-server.ts';
import { DEMO_CALLER_KEY } from '../../solutions/07-relay/protocol.ts';
import { servers, serveWorkshop } from '../support/workshop.ts';

const lesson = findLesson(7)!;
const WHERE = 'shared/workshop-server.ts (the relay demo: EventFeed, startDemoAgent, the first-request start)';

async function query(base: string, root: string, body: unknown): Promise<{ status: number; body: { result?: unknown; error?: string } }> {
  const response = await fetch(`${base}/${root}/${lesson.slug}/api/agents/demo/queries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_CALLER_KEY}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { result?: unknown; error?: string } };
}

/** The feed's events, asked again (held GETs) until `done` says they are enough; at most 10 s. */
async function eventsUntil(base: string, root: string, done: (events: DemoEvent[]) => boolean): Promise<DemoEvent[]> {
  const events: DemoEvent[] = [];
  const until = Date.now() + 10_000;
  let after = 0;
  while (!done(events)) {
    if (Date.now() > until) throw new Error(`The events of ${root} were not enough after 10 s: ${JSON.stringify(events.map((e) => `${e.lane} ${e.kind}`))}. Look at ${WHERE}.`);
    const response = await fetch(`${base}/api/lessons/${lesson.slug}/events?root=${root}&after=${after}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { events: DemoEvent[]; last: number };
    events.push(...body.events);
    after = body.last;
  }
  return events;
}

const connected = (events: DemoEvent[]) => events.some((e) => e.lane === 'agent' && e.kind === 'connected');

describe('the reference solution, as the browser tests serve it', () => {
  const dataRoot = path.join(workRoot, `relay-demo-${randomUUID().slice(0, 8)}`);
  const served = serveWorkshop({ target: 'solutions', dataRoot }, dataRoot);

  test('after the first request the demo agents log in to both relays, and the process has no server besides the workshop’s', async () => {
    expect((await fetch(`${served.listening.url}/api/lessons`)).status).toBe(200);
    for (const root of ['lessons', 'solutions']) {
      const events = await eventsUntil(served.listening.url, root, (seen) => connected(seen) && seen.some((e) => e.lane === 'relay' && e.kind === 'poll-held'));
      expect(events.filter((e) => e.kind === 'login' || e.kind === 'connected').map((e) => `${e.lane} ${e.kind} ${e.agent}`)).toEqual(['relay login demo', 'agent connected demo']);
    }
    expect(servers(), `one new server only, the workshop's own port: the demo agent must listen on nothing. Look at ${WHERE}.`).toBe(served.serversBefore + 1);
  });

  test('a query goes through the relay to the agent in the workshop process and back, for both roots', async () => {
    for (const root of ['lessons', 'solutions']) {
      const answer = await query(served.listening.url, root, { query: 'customerById', params: { id: 3 } });
      expect(answer, `${root}: POST /${root}/${lesson.slug}/api/agents/demo/queries`).toEqual({ status: 200, body: { result: { customer: { id: 3, name: 'Grace Hopper', city: 'New York' } } } });
      const events = await eventsUntil(served.listening.url, root, (seen) => seen.some((e) => e.lane === 'agent' && e.kind === 'answer'));
      const id = events.find((e) => e.kind === 'query-queued')?.id;
      expect(id, 'the relay reported the query queued, with its correlation id').toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(events.filter((e) => e.id === id).map((e) => `${e.lane} ${e.kind} ${e.status ?? ''}`.trim())).toEqual(['relay query-queued', 'relay query-answered 200', 'agent answer 200']);
    }
    const refused = await query(served.listening.url, 'lessons', { query: 'SELECT * FROM customers' });
    expect(refused.status, 'raw SQL: the agent refuses it').toBe(400);
  });

  test('the events route answers only what it knows, with a JSON error', async () => {
    const get = async (query: string) => (await fetch(`${served.listening.url}/api/lessons/${query}`)).status;
    expect(await get('01-naive-polling/events?root=lessons')).toBe(404);
    expect(await get(`${lesson.slug}/events?root=elsewhere`)).toBe(400);
    expect(await get(`${lesson.slug}/events?root=lessons&after=-1`)).toBe(400);
    expect(await get(`${lesson.slug}/events?root=lessons&after=1e3`)).toBe(400);
  });
});

describe('a learner whose agent.ts does not load', () => {
  const target = path.join(workRoot, `relay-fallback-${randomUUID().slice(0, 8)}`);
  const marker = `the learner's agent fails ${randomUUID()}`;
  const served = serveWorkshop({ target, dataRoot: target }, target, () => {
    cpSync(path.join(solutionsRoot, lesson.slug), path.join(target, lesson.slug), { recursive: true });
    writeFileSync(path.join(target, lesson.slug, 'agent.ts'), `throw new Error(${JSON.stringify(marker)});\n`);
  });

  test('the reference agent answers for it, and /api/lessons says why', async () => {
    const { lessons } = (await (await fetch(`${served.listening.url}/api/lessons`)).json()) as { lessons: Array<{ slug: string; fallback?: string; agentFallback?: string }> };
    const relay = lessons.find((l) => l.slug === lesson.slug);
    expect(relay?.fallback, 'the learner’s relay (a copy of the reference) is served').toBeUndefined();
    expect(relay?.agentFallback, `the reason the learner's agent did not start. Look at ${WHERE}.`).toContain(marker);
    await eventsUntil(served.listening.url, 'lessons', connected);
    const answer = await query(served.listening.url, 'lessons', { query: 'countNotes', params: { customerId: 1 } });
    expect(answer).toEqual({ status: 200, body: { result: { count: 0 } } });
  });
});
