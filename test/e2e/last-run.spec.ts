/**
 * "Your last verify" on a lesson's page, after a real failing run: `npm run verify -- 2` grades
 * lesson 02's starter (in lessons/, as a learner's first try) in a child process and writes
 * `.workshop/last-run/02-held-requests.json`, which the workshop serves. The page draws each
 * failed test's requests with the demos' timeline: lanes, the expected moment, a legend, a zoom,
 * and the request and status of a bar hovered or focused. A lesson never verified says so. The
 * page fits 390 px and a desktop and is axe-clean with the drawing on it.
 *
 * The learner's own last runs and progress in this checkout are put back afterwards.
 *
 * Screenshots: test-results/screenshots/last-run/.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { findLesson } from '../../shared/manifest.ts';
import { lastRunFile, type LastRun } from '../../shared/last-run.ts';
import { projectRoot, workRoot } from '../../shared/paths.ts';
import { collectErrors, needsChromium } from './browser.ts';
import { axeProblems, overflow, unreachable } from './layout.ts';

needsChromium();

const failing = findLesson('02-held-requests')!;
const never = findLesson('01-naive-polling')!;
const shots = 'test-results/screenshots/last-run';
/** Files this spec changes, moved aside first and put back after. */
const kept = [lastRunFile(failing), lastRunFile(never), path.join(workRoot, 'progress.json')];
const aside = (file: string) => `${file}.before-e2e`;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  for (const file of kept) if (existsSync(file)) renameSync(file, aside(file));
  // The learner's starter fails: verify exits 1, after writing the last run.
  const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'shared/cli/verify.ts', String(failing.number)], { cwd: projectRoot, env: { ...process.env, NO_COLOR: '1' }, timeout: 100_000 });
  const exit = await run.then(
    () => 0,
    (error: { code?: number }) => error.code,
  );
  expect(exit, 'verify of lesson 02 as its starter: 1, some tests fail').toBe(1);
});

test.afterAll(() => {
  for (const file of kept) {
    rmSync(file, { force: true });
    if (existsSync(aside(file))) renameSync(aside(file), file);
  }
});

const widths = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;

async function open(browser: Browser, width: keyof typeof widths, slug: string, language: 'en' | 'zh-CN' = 'en'): Promise<Page> {
  const context = await browser.newContext({ viewport: widths[width], locale: 'en-US' });
  await context.addInitScript((chosen) => localStorage.setItem('comet-workshop.language', chosen), language);
  const page = await context.newPage();
  await page.goto(`/site/#/lessons/${slug}`);
  await expect(page.locator('article.lesson-text pre').first()).toBeVisible();
  return page;
}

test('after a failing verify, the lesson page draws its failed tests: lanes, the expected moment, a legend; hover and focus tell a request', async ({ browser }) => {
  const run = JSON.parse(readFileSync(lastRunFile(failing), 'utf8')) as LastRun;
  expect(run.failed).toBeGreaterThan(0);
  const first = run.failures[0]!;
  const page = await open(browser, 'desktop', failing.slug);
  const errors = collectErrors(page);
  const section = page.locator('#last-run');
  await expect(section.getByRole('heading', { name: 'Your last verify' })).toBeVisible();
  await expect(section.locator('.last-run-counts')).toContainText(`${run.passed} passed, ${run.failed} failed`);
  await expect(section.locator('details.failure')).toHaveCount(run.failed);
  const failure = section.locator('details.failure').first();
  await expect(failure.locator('summary')).toHaveText(first.title);
  await expect(failure.locator('.failure-message')).toContainText('Expected:');

  // The drawing: a lane per request, labelled with it; the expected moment marked with its words.
  const svg = failure.locator('svg.timeline.still');
  const bars = svg.locator('rect.bar[data-bar]');
  const lanes = first.timeline!.exchanges.length;
  await expect(bars).toHaveCount(Math.min(lanes, 12));
  await expect(svg.locator('text.row-label').first()).toHaveText(first.timeline!.exchanges[0]!.label);
  await expect(svg.locator('line.expected')).toHaveCount(1);
  await expect(svg.locator('text.expected-label')).toContainText('expected');
  await expect(failure.locator('.caption')).toContainText(`Expected at ${Math.round(first.timeline!.expected!.at)} ms`);
  await expect(section.getByRole('list', { name: 'What the colours mean' })).toContainText('when the test expected something');

  // Hovering a bar tells its request, its status and its times.
  const exchange = first.timeline!.exchanges[0]!;
  const detail = failure.locator('.exchange-detail');
  await bars.first().hover();
  await expect(detail).toContainText(`${exchange.label}: sent at`);
  await expect(detail).toContainText(`answered ${exchange.status}`);
  // …and so does the keyboard: from the zoom, Tab reaches the first bar (the position slider is off at ×1).
  await page.mouse.move(0, 0);
  await failure.locator('.zoom input').first().focus();
  await page.keyboard.press('Tab');
  await expect(bars.first()).toBeFocused();
  await page.keyboard.press('Tab');
  if (lanes > 1) {
    await expect(bars.nth(1)).toBeFocused();
    await expect(detail).toContainText(`${first.timeline!.exchanges[1]!.label}: sent at`);
  }
  await failure.screenshot({ path: `${shots}/failure-desktop.png` });

  // Zoom: the window narrows around the expected moment, and the position slider moves it.
  const axis = () => svg.locator('text.axis').allTextContents();
  const whole = await axis();
  const zoom = failure.getByLabel('Zoom');
  await zoom.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(zoom).toHaveAttribute('aria-valuetext', '×4');
  await expect.poll(axis).not.toEqual(whole);
  await expect(failure.getByLabel('Position')).toBeEnabled();
  await expect(svg.locator('line.expected')).toHaveCount(1);
  await failure.locator('.recording').screenshot({ path: `${shots}/failure-zoomed-desktop.png` });

  expect(await overflow(page), 'sideways scroll').toBeLessThanOrEqual(0);
  expect(await unreachable(page), 'controls that cannot be reached').toEqual([]);
  expect(await axeProblems(page), 'axe-core').toEqual([]);
  expect(errors).toEqual([]);
});

for (const language of ['en', 'zh-CN'] as const) {
  test(`at 390 px in ${language} the drawn failure fits, every bar is reachable, axe-core is clean`, async ({ browser }) => {
    const page = await open(browser, 'phone', failing.slug, language);
    const failure = page.locator('#last-run details.failure').first();
    await expect(failure.locator('svg.timeline.still rect.bar').first()).toBeVisible();
    await expect(page.locator('#last-run h2')).toHaveText(language === 'en' ? 'Your last verify' : '你最近一次 verify');
    // Open a second failure too: its drawing appears once it has a width.
    const second = page.locator('#last-run details.failure').nth(1);
    await second.locator('summary').click();
    await expect(second.locator('svg.timeline.still rect.bar').first()).toBeVisible();
    await failure.locator('rect.bar').first().focus();
    await failure.scrollIntoViewIfNeeded();
    await failure.screenshot({ path: `${shots}/failure-${language}-390.png` });
    await page.locator('#last-run').screenshot({ path: `${shots}/last-run-${language}-390.png` });
    expect(await overflow(page), 'sideways scroll at 390 px').toBeLessThanOrEqual(0);
    expect(await unreachable(page), 'controls that cannot be reached at 390 px').toEqual([]);
    expect(await axeProblems(page), 'axe-core at 390 px').toEqual([]);
  });
}

test('a lesson never verified says so, and how to; the API answers 404 JSON for it and for an unknown lesson', async ({ browser, request }) => {
  const page = await open(browser, 'desktop', never.slug);
  // Without a last run the page asks for none: no 404 in its console.
  const errors = collectErrors(page);
  await page.reload();
  await expect(page.locator('article.lesson-text pre').first()).toBeVisible();
  await expect(page.locator('#no-last-run')).toContainText(`npm run verify -- ${never.number}`);
  await expect(page.locator('#last-run svg')).toHaveCount(0);
  expect(errors).toEqual([]);
  for (const slug of [never.slug, 'no-such-lesson']) {
    const answer = await request.get(`/api/last-run/${slug}`);
    expect(answer.status()).toBe(404);
    expect(await answer.json()).toHaveProperty('error');
  }
  const listed = await request.get('/api/last-run');
  expect((await listed.json()).lessons).toEqual(expect.arrayContaining([failing.slug]));
  expect((await listed.json()).lessons).not.toContain(never.slug);
  const found = await request.get(`/api/last-run/${failing.slug}`);
  expect(found.status()).toBe(200);
  expect(found.headers()['cache-control']).toBe('no-store');
});

test('a recording of every kind is drawn: an open bar to the right edge, a closed one, chunk ticks, your client lane, at most 12 lanes with the rest counted', async ({ browser }) => {
  const slug = '04-resume';
  const polls = Array.from({ length: 30 }, (_, index) => ({ label: `GET /poll?after=${index}`, start: index * 10, headersAt: index * 10 + 9, end: index * 10 + 9, status: 200, chunks: [index * 10 + 9], body: '{"messages":[]}' }));
  const stream = { label: 'GET /events', start: 250, headersAt: 251, chunks: [251, 260, 270, 280], body: 'data: 1\n\n' };
  const closed = { label: 'GET /poll?after=99', start: 255, closedAt: 290, chunks: [], body: '' };
  const timeline = { exchanges: [...polls.slice(0, 25), stream, closed, ...polls.slice(25)], notes: [{ at: 262, label: 'onMessage' }, { at: 271, label: 'onMessage' }], expected: { at: 285, what: 'one message, not two' }, dropped: 3 };
  const run: LastRun = { lesson: slug, finishedAt: new Date().toISOString(), language: 'en', passed: 4, failed: 1, failures: [{ id: 'x', title: 'client: delivers once', message: 'Expected: once', timeline }] };
  const context = await browser.newContext({ viewport: widths.desktop, locale: 'en-US' });
  const page = await context.newPage();
  await page.route('**/api/last-run', (route) => route.fulfill({ json: { lessons: [slug] } }));
  await page.route(`**/api/last-run/${slug}`, (route) => route.fulfill({ json: run }));
  await page.goto(`/site/#/lessons/${slug}`);
  const svg = page.locator('#last-run svg.timeline.still');
  await expect(svg.locator('rect.bar')).toHaveCount(12);
  await expect(svg.locator('text.row-label').last()).toHaveText('your client');
  await expect(svg.locator('line.mark.learner')).toHaveCount(2);
  await expect(svg.locator('line.mark.chunk')).toHaveCount(4);
  await expect(svg.locator('rect.bar.aborted')).toHaveCount(1);
  // The stream never ended: its bar runs to the right edge of the drawing.
  const open = svg.locator('rect.bar.open');
  await expect(open).toHaveCount(1);
  const [right, width] = await Promise.all([open.evaluate((bar) => Number(bar.getAttribute('x')) + Number(bar.getAttribute('width'))), svg.evaluate((element) => element.clientWidth)]);
  expect(right).toBeGreaterThan(width - 10);
  await open.hover();
  await expect(page.locator('#last-run .exchange-detail')).toContainText('GET /events: sent at 250 ms; first byte at 251 ms; still open when the test ended (status —); 4 chunks; body: data: 1');
  await expect(page.locator('#last-run .caption')).toContainText('23 more not drawn');
  await expect(page.locator('#last-run .caption')).toContainText('Your client: onMessage ×2');
  await page.locator('#last-run .recording').screenshot({ path: `${shots}/every-kind-desktop.png` });
  await context.close();
});
