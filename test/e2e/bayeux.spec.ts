/**
 * Lesson 06's demo as two people would use it: the lesson's page open in two browsers (two
 * contexts, so that each has its own six connections to the server), each running Faye's
 * browser client as npm ships it, long-polling only (WebSocket and EventSource disabled),
 * through the lesson's server (the workshop under test runs the reference). A message
 * published in one page reaches both clients of the other, and back; HTML stays text; every
 * Bayeux request is an XMLHttpRequest POST; no WebSocket, no EventSource, nothing from another
 * origin; and the timeline shows the held /meta/connect ended by the publish.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { findLesson } from '../../shared/manifest.ts';
import { needsChromium } from './browser.ts';

needsChromium();

const lesson = findLesson(6)!;
const demo = lesson.demo?.kind === 'bayeux' ? lesson.demo : undefined;
const fayeScript = '/node_modules/faye/client/faye-browser-min.js';

interface Bar {
  client: number;
  started: number;
  ended?: number;
  outcome?: string;
}

interface Tick {
  client: number;
  at: number;
  kind: string;
  ok: boolean;
}

/** What a page did on the network and in its console, for the checks at the end. */
interface Watched {
  readonly page: Page;
  readonly errors: string[];
  /** Every request to the demo's Bayeux endpoints: method and Playwright's resource type. */
  readonly bayeux: string[];
  /** WebSockets, EventSources and requests to any other origin: none is expected. */
  readonly unexpected: string[];
  /** The answers to the request for Faye's browser client. */
  readonly fayeStatuses: number[];
}

async function openDemo(browser: Browser, origin: string, name: string): Promise<Watched> {
  const page = await (await browser.newContext()).newPage();
  const watched: Watched = { page, errors: [], bayeux: [], unexpected: [], fayeStatuses: [] };
  const endpoint = new RegExp(`^/(?:lessons|solutions)/${lesson.slug}/c/\\d+/api${demo!.endpoint}$`);
  page.on('console', (m) => void (m.type() === 'error' && watched.errors.push(`${name}: ${m.text()}`)));
  page.on('pageerror', (e) => void watched.errors.push(`${name}: ${e.message}`));
  page.on('dialog', (d) => {
    watched.errors.push(`${name}: a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  page.on('websocket', (socket) => void watched.unexpected.push(`${name}: a WebSocket to ${socket.url()}`));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!url.protocol.startsWith('http')) return;
    if (url.origin !== origin) watched.unexpected.push(`${name}: a request to ${url.href}`);
    if (request.resourceType() === 'eventsource') watched.unexpected.push(`${name}: an EventSource on ${url.href}`);
    if (endpoint.test(url.pathname)) watched.bayeux.push(`${request.method()} ${request.resourceType()}`);
  });
  page.on('response', (response) => void (new URL(response.url()).pathname === fayeScript && watched.fayeStatuses.push(response.status())));
  await page.goto(`/site/#/lessons/${lesson.slug}`);
  await page.getByRole('button', { name: 'Start the demo' }).click();
  await expect(page.getByRole('status')).toHaveText(`2 Faye clients subscribed to ${demo!.channel} on your server.`);
  return watched;
}

/** Publishes `text` from the page's box; resolves with the moment (the page's performance.now()) just before. */
async function publish(page: Page, text: string): Promise<number> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  const before = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByRole('status')).toHaveText(`Published "${text}".`);
  return before;
}

/** Waits until both clients of every page have delivered `text`. */
async function expectBothClients(pages: readonly Watched[], text: string): Promise<void> {
  for (const { page } of pages) {
    for (const client of [1, 2]) {
      await expect(page.getByRole('list', { name: 'Messages received' }).getByText(`client ${client}: ${text}`, { exact: true })).toBeVisible();
    }
  }
}

const timeline = (page: Page) => page.evaluate(() => (window as unknown as { __timeline: { bars: Bar[]; ticks: Tick[] } }).__timeline).then(({ bars, ticks }) => ({ bars, ticks }));

test('two pages exchange messages on a channel through the lesson’s server, with Faye’s browser client long-polling', async ({ browser, baseURL }) => {
  expect(demo, `lesson 06 in shared/manifest.ts has a demo of kind "bayeux"`).toBeDefined();
  const origin = new URL(baseURL!).origin;
  const a = await openDemo(browser, origin, 'page A');
  const b = await openDemo(browser, origin, 'page B');

  const fromA = `from A <img src=x onerror=alert(1)> ${Date.now()}`;
  const publishedAt = await publish(a.page, fromA);
  await expectBothClients([a, b], fromA);
  await expect(b.page.locator('ol.received img'), 'HTML in a message is shown as text').toHaveCount(0);
  const { bars } = await timeline(a.page);

  const fromB = `from B, 你好 ${Date.now()}`;
  await publish(b.page, fromB);
  await expectBothClients([a, b], fromB);

  // In the publishing page: each client's /meta/connect brought the message (a bar that ends in
  // news), and at least one of them was already held when the message was published (either
  // may have been renewed at its hold limit just then).
  const brought = [1, 2].map((client) => bars.find((bar) => bar.client === client && bar.outcome === 'message' && bar.ended! > publishedAt));
  const shown = JSON.stringify(bars.map((bar) => ({ ...bar, started: Math.round(bar.started - publishedAt), ended: bar.ended && Math.round(bar.ended - publishedAt) })));
  expect(brought.every(Boolean), `both clients: a /meta/connect answered with the message; bars (ms from the publish): ${shown}`).toBe(true);
  expect(brought.some((bar) => bar!.started < publishedAt), `a /meta/connect held across the publish; bars (ms from the publish): ${shown}`).toBe(true);
  const { ticks } = await timeline(a.page);
  for (const client of [1, 2]) {
    for (const kind of ['handshake', 'subscribe']) {
      expect(ticks.some((t) => t.client === client && t.kind === kind && t.ok), `client ${client}: a ${kind} answered successfully`).toBe(true);
    }
  }
  expect(ticks.some((t) => t.client === 1 && t.kind === 'publish' && t.ok), 'client 1 published, and the server acknowledged it').toBe(true);
  await a.page.locator('section.demo').screenshot({ path: 'test-results/screenshots/lesson-06-timeline.png' });

  // Stopping says goodbye: each client of the page sends /meta/disconnect.
  const goodbyes = [1, 2].map((client) =>
    b.page.waitForRequest((r) => r.url().endsWith(`/c/${client}/api${demo!.endpoint}`) && (r.postData() ?? '').includes('"/meta/disconnect"')),
  );
  await b.page.getByRole('button', { name: 'Stop the demo' }).click();
  await Promise.all(goodbyes);

  for (const watched of [a, b]) {
    expect(watched.fayeStatuses, 'Faye’s browser client is loaded once, from this server').toEqual([200]);
    expect(watched.bayeux.length, 'Bayeux requests were seen').toBeGreaterThan(4);
    expect([...new Set(watched.bayeux)], 'every Bayeux request is an XMLHttpRequest POST (long-polling)').toEqual(['POST xhr']);
    expect(watched.unexpected).toEqual([]);
    expect(watched.errors).toEqual([]);
  }
});
