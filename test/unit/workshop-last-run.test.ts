/**
 * The last verify of a lesson, as the site reads it: `GET /api/last-run/<slug>` on the real
 * workshop server answers the file verify wrote, only for a lesson of the manifest (never a
 * path made of the request's text), 404 JSON otherwise; it refuses a foreign Host like every
 * route. And the file stays bounded: later failures lose their timelines first.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Recording } from '../../shared/grading/recording.ts';
import type { TestResult } from '../../shared/grading/types.ts';
import { listen, type Listening } from '../../shared/http.ts';
import { clearLastRun, lastRunFile, lastRunFolder, lastRunOf, readLastRun, writeLastRun } from '../../shared/last-run.ts';
import { findLesson } from '../../shared/manifest.ts';
import { workRoot } from '../../shared/paths.ts';
import { createWorkshop, type Workshop } from '../../shared/workshop-server.ts';

const lesson = findLesson('03-timeouts')!;
const id = randomUUID().slice(0, 8);
const canary = `CANARY-last-run-${randomUUID()}`;
/** Files a traversal would like to reach: beside the last runs, and one folder up. */
const planted = [path.join(lastRunFolder, `canary-${id}.json`), path.join(workRoot, `canary-${id}.json`)];
const aside = `${lastRunFile(lesson)}.before-test-${id}`;
let workshop: Workshop;
let listening: Listening;

const recording = (exchanges: number): Recording => ({
  exchanges: Array.from({ length: exchanges }, (_, index) => ({ label: `GET /poll?after=${index}`, start: index, end: index + 1, status: 200, chunks: [index + 1], body: 'x'.repeat(120) })),
  notes: [{ at: 3, label: 'onMessage' }],
  expected: { at: 2, what: 'the poll to stay open' },
  dropped: 0,
});
const failed = (n: number, timeline?: Recording): TestResult => ({ id: `t${n}`, title: `test ${n}`, points: 1, status: 'failed', message: `Expected: ${n}`, durationMs: 1, ...(timeline ? { timeline } : {}) });
const passed = (n: number): TestResult => ({ id: `p${n}`, title: `passing ${n}`, points: 1, status: 'passed', durationMs: 1 });

/** A GET with the path exactly as written (no normalising), and the Host given. */
function get(rawPath: string, host = `127.0.0.1:${new URL(listening.url).port}`): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(listening.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, path: rawPath, method: 'GET', headers: { host }, setHost: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, type: String(response.headers['content-type'] ?? ''), body }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  if (existsSync(lastRunFile(lesson))) renameSync(lastRunFile(lesson), aside);
  mkdirSync(lastRunFolder, { recursive: true });
  for (const file of planted) writeFileSync(file, JSON.stringify({ lesson: lesson.slug, failures: [], canary }));
  workshop = await createWorkshop({ target: 'solutions', built: true, log: () => undefined });
  listening = await listen(workshop.app, 0);
});

afterAll(async () => {
  await listening?.close();
  await workshop?.close();
  for (const file of planted) rmSync(file, { force: true });
  rmSync(lastRunFile(lesson), { force: true });
  if (existsSync(aside)) renameSync(aside, lastRunFile(lesson));
});

describe('GET /api/last-run/<slug>', () => {
  test('a lesson with no last run: 404 and a JSON error that says how to make one', async () => {
    rmSync(lastRunFile(lesson), { force: true });
    const answer = await get(`/api/last-run/${lesson.slug}`);
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body).error).toContain(`npm run verify -- ${lesson.number}`);
  });

  test('the last run verify wrote, as JSON, not cached', async () => {
    writeLastRun(lesson, [passed(1), failed(2, recording(3))], 'en');
    const answer = await get(`/api/last-run/${lesson.slug}`);
    expect(answer.status).toBe(200);
    const run = JSON.parse(answer.body);
    expect(run).toMatchObject({ lesson: lesson.slug, language: 'en', passed: 1, failed: 1, failures: [{ id: 't2', title: 'test 2', message: 'Expected: 2' }] });
    expect(run.failures[0].timeline.exchanges).toHaveLength(3);
    expect(run.failures[0].timeline.expected).toEqual({ at: 2, what: 'the poll to stay open' });
    expect(Date.parse(run.finishedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  test('GET /api/last-run lists the lessons that have one', async () => {
    writeLastRun(lesson, [passed(1)], 'en');
    const answer = await get('/api/last-run');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).lessons).toContain(lesson.slug);
    rmSync(lastRunFile(lesson));
    expect(JSON.parse((await get('/api/last-run')).body).lessons).not.toContain(lesson.slug);
    expect((await get('/api/last-run', 'evil.example')).status).toBe(403);
  });

  test('an unknown lesson: 404 JSON', async () => {
    const answer = await get('/api/last-run/99-nothing');
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toHaveProperty('error');
  });

  test('traversals never reach a file beside the last runs or above them: each is a 404 without its bytes', async () => {
    const names = [`canary-${id}`, `canary-${id}.json`, `..%2Fcanary-${id}`, `..%2fcanary-${id}.json`, `%2e%2e%2Fcanary-${id}`, `${lesson.slug}%2F..%2Fcanary-${id}`, `${lesson.slug}%2F..%2F..%2Fcanary-${id}`, `..%5Ccanary-${id}`, `%252e%252e%252Fcanary-${id}`];
    const paths = [
      ...names.map((name) => `/api/last-run/${name}`),
      `/api/last-run/../canary-${id}.json`,
      `/api/last-run/${lesson.slug}/../canary-${id}`,
      `/api/last-run/./../../.workshop/canary-${id}.json`,
      `/api/last-run/${lesson.slug}.json`,
      `/api/last-run/${lesson.slug.toUpperCase()}`,
      `/.workshop/last-run/${lesson.slug}.json`,
      `/.workshop/canary-${id}.json`,
    ];
    for (const rawPath of paths) {
      const answer = await get(rawPath);
      expect(answer.status, rawPath).toBe(404);
      expect(answer.body, rawPath).not.toContain(canary);
    }
  });

  test('a foreign Host is refused (DNS rebinding), a local one served', async () => {
    writeLastRun(lesson, [passed(1)], 'en');
    for (const host of ['evil.example', `evil.example:${new URL(listening.url).port}`, 'localhost.evil.example']) {
      const answer = await get(`/api/last-run/${lesson.slug}`, host);
      expect(answer.status, host).toBe(403);
      expect(answer.body, host).not.toContain('finishedAt');
    }
    for (const host of ['localhost', `localhost:${new URL(listening.url).port}`, '[::1]']) expect((await get(`/api/last-run/${lesson.slug}`, host)).status, host).toBe(200);
  });
});

describe('the last-run file', () => {
  test('a passing run is kept too, with no failures', () => {
    writeLastRun(lesson, [passed(1), passed(2)], 'zh-CN');
    expect(readLastRun(lesson)).toMatchObject({ lesson: lesson.slug, language: 'zh-CN', passed: 2, failed: 0, failures: [] });
  });

  test('a reset forgets it', () => {
    writeLastRun(lesson, [passed(1)], 'en');
    clearLastRun(lesson);
    expect(readLastRun(lesson)).toBeUndefined();
    clearLastRun(lesson);
  });

  test('too big: the later failures lose their timelines first, the messages all stay', () => {
    const results = [failed(1, recording(50)), failed(2, recording(50)), failed(3, recording(50)), failed(4)];
    const whole = lastRunOf(lesson, results, 'en');
    const size = Buffer.byteLength(JSON.stringify(whole));
    const run = lastRunOf(lesson, results, 'en', new Date(), Math.floor(size * 0.6));
    expect(Buffer.byteLength(JSON.stringify(run))).toBeLessThanOrEqual(size * 0.6);
    expect(run.failures.map((failure) => failure.timeline !== undefined)).toEqual([true, false, false, false]);
    expect(run.failures.map((failure) => failure.message)).toEqual(['Expected: 1', 'Expected: 2', 'Expected: 3', 'Expected: 4']);
    expect(run.timelinesLeftOut).toBe(2);
    expect(whole.timelinesLeftOut).toBeUndefined();
  });

  test('a file that is not a last run of the lesson is none', () => {
    writeFileSync(lastRunFile(lesson), '{ not json');
    expect(readLastRun(lesson)).toBeUndefined();
    writeFileSync(lastRunFile(lesson), JSON.stringify({ lesson: '02-held-requests', failures: [] }));
    expect(readLastRun(lesson)).toBeUndefined();
  });
});
