/**
 * Lesson 08's demo as a learner would use it, in Chromium: the page's own native EventSource
 * on the lesson's stream (the workshop under test runs the reference) receives the messages
 * posted from the page as they are posted; "Restart the server" makes the workshop shut the
 * lesson's app down and make it again with the messages it kept; the EventSource reconnects by
 * itself with Last-Event-ID, and every message arrives exactly once, in order. The timelines
 * show it: two bars on the stream's row (the first ended by the restart), a tick per event, and
 * lesson 04's polls beside it. Checked on the page's data (window.__sse) and the received
 * list, not pixels; on a narrow screen the two timelines stack.
 *
 * Console errors of the page are site.spec.ts's to check (every lesson page renders with none).
 */
import { expect, test, type Page } from '@playwright/test';
import { findLesson } from '../../shared/manifest.ts';
import { needsChromium } from './browser.ts';

needsChromium();

const lesson = findLesson(8);

interface Seen {
  bars: Array<{ client: number; started: number; ended?: number; outcome?: string }>;
  events: number;
  received: Array<{ id: string; text: string }>;
  connections: number;
  polls: number;
}

/** What the page's stream has seen, and how many polls lesson 04's clients made. */
const seen = (page: Page): Promise<Seen> =>
  page.evaluate(() => {
    const w = window as unknown as {
      __sse: { timeline: { bars: Seen['bars']; ticks: Array<{ kind: string }> }; received: Seen['received']; connections: number };
      __polls?: { bars: unknown[] };
    };
    const { timeline, received, connections } = w.__sse;
    return {
      bars: timeline.bars.map((b) => ({ ...b })),
      events: timeline.ticks.filter((t) => t.kind === 'event').length,
      received: received.map((r) => ({ ...r })),
      connections,
      polls: w.__polls?.bars.length ?? 0,
    };
  });

/** Posts `text` from the page's form, to both servers, and waits until the page says both took it. */
async function post(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Post to both' }).click();
  await expect(page.getByRole('status')).toHaveText(`Posted "${text}" to both servers.`);
}

test('the page’s EventSource gets each message live, and after a server restart reconnects and gets every message once, in order', async ({ page }) => {
  expect(lesson?.demo?.kind, 'lesson 08 in shared/manifest.ts has a demo of kind "sse"').toBe('sse');
  const errors: string[] = [];
  page.on('pageerror', (e) => void errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`/site/#/lessons/${lesson!.slug}`);
  await page.getByRole('button', { name: 'Start the demo' }).click();
  await expect(page.getByRole('button', { name: 'Stop the demo' })).toBeVisible();
  await expect.poll(async () => (await seen(page)).connections, { message: 'the EventSource is open' }).toBe(1);
  await expect.poll(async () => (await seen(page)).polls, { message: 'lesson 04’s clients poll beside it' }).toBeGreaterThan(0);

  const tag = `m${Date.now().toString(36)}`;
  const texts = ['one', 'two', 'three', 'four'].map((n) => `${tag} ${n}`);
  const tagged = async () => (await seen(page)).received.filter((r) => r.text.startsWith(tag)).map((r) => r.text);
  // Live: each message arrives on the open stream.
  await post(page, texts[0]!);
  await expect.poll(tagged, { message: 'the first message, on the open stream' }).toEqual(texts.slice(0, 1));
  await post(page, texts[1]!);
  await expect.poll(tagged, { message: 'the second message' }).toEqual(texts.slice(0, 2));
  expect((await seen(page)).connections, 'one connection carried both').toBe(1);

  const restarted = page.waitForResponse((r) => r.url().endsWith(`/api/lessons/${lesson!.slug}/restart`));
  await page.getByRole('button', { name: 'Restart the server' }).click();
  const answer = await restarted;
  expect(answer.status(), 'POST /api/lessons/08-event-stream/restart').toBe(200);
  expect(((await answer.json()) as { kept: number }).kept, 'the messages the old app kept').toBeGreaterThanOrEqual(2);
  // The browser reconnects by itself (after retry: 1 s) and the page says so.
  await expect.poll(async () => (await seen(page)).connections, { message: 'a second connection, the browser’s own reconnect', timeout: 10_000 }).toBe(2);
  await expect(page.getByRole('status')).toContainText('Connection 2 is open: the browser reconnected and sent Last-Event-ID');

  await post(page, texts[2]!);
  await post(page, texts[3]!);
  await expect.poll(tagged, { message: 'every message once, in order, across the restart' }).toEqual(texts);
  const { bars, events, received, connections } = await seen(page);
  const ids = received.map((r) => Number(r.id));
  expect(ids.every((id, index) => index === 0 || id === ids[index - 1]! + 1), `consecutive ids, none twice: ${ids.join(', ')}`).toBe(true);
  expect(events, 'a tick per event').toBe(received.length);
  expect(connections).toBe(2);
  expect(bars.map((b) => b.outcome ?? 'open'), 'the stream’s row: the first connection ended by the restart, the second open').toEqual(['cancelled', 'open']);

  // The list shows each message once, as text.
  const list = page.locator('#sse-received li').filter({ hasText: tag });
  await expect(list).toHaveText(texts.map((text) => new RegExp(`^#\\d+ ${text}$`)));
  // Two timelines, side by side: the stream's two bars, and lesson 04's polls.
  await expect(page.locator('#sse-stream svg.timeline rect.bar')).toHaveCount(2);
  await expect(page.locator('#sse-stream svg.timeline text.row-label')).toHaveText(['EventSource']);
  await expect(page.locator('#sse-polls svg.timeline text.row-label')).toHaveText(['client 1', 'client 2', 'client 3']);
  await expect(page.locator('#stream-summary')).toContainText(/^2 connections \(one open now\), \d+ events/);
  const beside = async () => {
    const [left, right] = [await page.locator('#sse-stream').boundingBox(), await page.locator('#sse-polls').boundingBox()];
    return right!.x >= left!.x + left!.width - 1 && Math.abs(right!.y - left!.y) < 2 ? 'side by side' : right!.y >= left!.y + left!.height - 1 ? 'stacked' : 'overlapping';
  };
  expect(await beside()).toBe('side by side');
  await page.locator('section.demo').screenshot({ path: 'test-results/screenshots/lesson-08-timelines.png' });

  // On a narrow screen they stack.
  await page.setViewportSize({ width: 420, height: 900 });
  await expect.poll(beside).toBe('stacked');
  await page.locator('section.demo').screenshot({ path: 'test-results/screenshots/lesson-08-narrow.png' });

  // HTML in a message stays text.
  const attack = `${tag} <img src=x onerror=alert(1)>`;
  await post(page, attack);
  await expect(list.last()).toHaveText(new RegExp(`^#\\d+ ${attack.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  await expect(page.locator('section.demo img')).toHaveCount(0);

  await page.getByRole('button', { name: 'Stop the demo' }).click();
  await expect(page.getByRole('button', { name: 'Start the demo' })).toBeVisible();
  expect((await seen(page)).bars.at(-1)?.outcome, 'stopping ends the open connection').toBe('aborted');
  expect(errors).toEqual([]);
});
