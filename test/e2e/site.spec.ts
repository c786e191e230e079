/**
 * The site: every lesson page renders with no console error, and the demos' timelines show
 * what the lessons teach — checked on the timeline's data (window.__timeline), not pixels.
 */
import { expect, test, type Page } from '@playwright/test';
import { lessons } from '../../shared/manifest.ts';
import { collectErrors, needsChromium } from './browser.ts';

needsChromium();

interface Bar {
  client: number;
  started: number;
  ended?: number;
  outcome?: string;
}

const slugs = lessons.map((lesson) => lesson.slug);

/** Starts the page's demo and waits until it runs (the client code is loaded on demand). */
async function startDemo(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Start the demo' }).click();
  await expect(page.getByRole('button', { name: 'Stop the demo' })).toBeVisible();
}

const bars = (page: Page) => page.evaluate(() => (window as unknown as { __timeline: { bars: Bar[] } }).__timeline.bars.map((b) => ({ ...b })));

test('the home page lists the lessons and tells the story', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Server push, built by hand' })).toBeVisible();
  await expect(page.locator('ol.lessons > li')).toHaveCount(slugs.length);
  await page.screenshot({ path: 'test-results/screenshots/home.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the benchmarks page shows the committed results and their chart', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/site/#/benchmarks');
  await expect(page.getByRole('heading', { name: 'Benchmark results' })).toBeVisible();
  const chart = page.locator('article.benchmarks img');
  await expect(chart).toHaveAttribute('src', '/api/bench/chart.svg');
  await expect.poll(() => chart.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { message: 'the chart (bench/chart.svg) loads' }).toBeGreaterThan(0);
  await page.screenshot({ path: 'test-results/screenshots/benchmarks.png', fullPage: true });
  expect(errors).toEqual([]);
});

for (const slug of slugs) {
  test(`lesson page ${slug} renders its text with no console error`, async ({ page }) => {
    const errors = collectErrors(page);
    await page.goto(`/site/#/lessons/${slug}`);
    await expect(page.locator('article.lesson-text h1')).toContainText(`Lesson ${slug.slice(0, 2)}`);
    await expect(page.locator('article.lesson-text pre').first()).toBeVisible();
    expect(errors).toEqual([]);
  });
}

test('lesson 01: naive polling draws a comb of short bars, several per second', async ({ page }) => {
  await page.goto('/site/#/lessons/01-naive-polling');
  await startDemo(page);
  await expect.poll(async () => (await bars(page)).filter((b) => b.outcome).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(12);
  const done = (await bars(page)).filter((b) => b.ended !== undefined);
  const span = (Math.max(...done.map((b) => b.ended!)) - Math.min(...done.map((b) => b.started))) / 1000;
  expect(done.length / span, 'bars per second').toBeGreaterThan(3);
  // The server answers at once: bars are short (a busy machine may stretch a few, never to a held request's length).
  const lengths = done.map((b) => b.ended! - b.started).sort((a, b) => a - b);
  expect(lengths[Math.floor(lengths.length / 2)]!, 'the median bar (ms): the server answers at once').toBeLessThan(300);
  expect(lengths.at(-1)!, 'the longest bar (ms): no request is held').toBeLessThan(2000);
  expect(done.filter((b) => b.outcome === 'empty').length, 'most answers carry nothing new').toBeGreaterThan(done.length / 2);
  await page.locator('section.demo').screenshot({ path: 'test-results/screenshots/lesson-01-timeline.png' });
});

test('lesson 02: a held request draws a long bar that ends when a message is posted', async ({ page }) => {
  await page.goto('/site/#/lessons/02-held-requests');
  await startDemo(page);
  await expect.poll(async () => (await bars(page)).length, { timeout: 10_000 }).toBe(3);
  // Let the held polls grow long before posting: this is the observation the page is for.
  await page.waitForTimeout(1500);
  expect((await bars(page)).every((b) => b.ended === undefined), 'all three polls still held').toBe(true);
  const postedAt = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Post' }).click();
  await expect.poll(async () => (await bars(page)).filter((b) => b.outcome === 'message').length, { timeout: 5000 }).toBe(3);
  for (const bar of (await bars(page)).filter((b) => b.outcome === 'message')) {
    expect(bar.ended! - bar.started, 'a long bar').toBeGreaterThan(1400);
    expect(bar.ended! - postedAt, 'ending when the message was posted').toBeLessThan(1000);
  }
  await page.locator('section.demo').screenshot({ path: 'test-results/screenshots/lesson-02-timeline.png' });
});

test('lesson 03: held requests end at the hold limit with a timeout', async ({ page }) => {
  await page.goto('/site/#/lessons/03-timeouts');
  await startDemo(page);
  await expect.poll(async () => (await bars(page)).filter((b) => b.outcome === 'timeout').length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
  const timeouts = (await bars(page)).filter((b) => b.outcome === 'timeout');
  const lengths = timeouts.map((b) => Math.round(b.ended! - b.started));
  expect(Math.min(...lengths), `timeout bars as long as the hold limit (4 s in the workshop): ${JSON.stringify(lengths)}`).toBeGreaterThan(3800);
  await page.locator('section.demo').screenshot({ path: 'test-results/screenshots/lesson-03-timeline.png' });
});
