/**
 * Lesson 07's demo as a learner would use it: the page's caller form asks the demo agent a
 * named query through the lesson's relay (the workshop under test runs the reference), the
 * answer comes back from the agent running inside the workshop process, and the timeline
 * draws the three lanes — the caller's query held at the relay, the agent's held poll that
 * carried it in, the relay's and the agent's ticks. Raw SQL is refused by the agent and the
 * refusal is shown; HTML in an answer stays text. Checked on the timeline's data
 * (window.__timeline) and the SVG's lane labels, not pixels.
 */
import { expect, test, type Page } from '@playwright/test';
import { findLesson } from '../../shared/manifest.ts';
import { needsChromium } from './browser.ts';

needsChromium();

const lesson = findLesson(7)!;
const demo = lesson.demo?.kind === 'relay' ? lesson.demo : undefined;
const [CALLER, RELAY, AGENT] = [1, 2, 3];

interface Bar {
  client: number;
  started: number;
  ended?: number;
  outcome?: string;
  status?: number;
}

interface Tick {
  client: number;
  at: number;
  kind: string;
  ok: boolean;
  problem?: string;
}

const timeline = (page: Page) =>
  page.evaluate(() => {
    const { bars, ticks } = (window as unknown as { __timeline: { bars: Bar[]; ticks: Tick[] } }).__timeline;
    return { bars: bars.map((b) => ({ ...b })), ticks: ticks.map((t) => ({ ...t })) };
  });

/** Asks `query` with `params` from the page's form, and waits for the answer box to change; resolves with the page's clock just before. */
async function ask(page: Page, query: string, params: string): Promise<number> {
  await page.getByLabel('Query', { exact: true }).selectOption(query);
  await page.getByLabel('Params (JSON)').fill(params);
  const before = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Ask the agent' }).click();
  await expect(page.getByRole('status')).toHaveText(new RegExp(`^${query}: `));
  return before;
}

test('the caller form gets an answer from the demo agent through the relay; the timeline shows caller, relay and agent', async ({ page }) => {
  expect(demo, 'lesson 07 in shared/manifest.ts has a demo of kind "relay"').toBeDefined();
  const errors: string[] = [];
  page.on('console', (m) => {
    // The two refusals this test asks for (raw SQL, an unknown parameter) are 400s, which Chromium reports in the console.
    const asked = /status of 400/.test(m.text()) && m.location().url.endsWith('/queries');
    if (m.type() === 'error' && !asked) errors.push(m.text());
  });
  page.on('pageerror', (e) => void errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`/site/#/lessons/${lesson.slug}`);
  await page.getByRole('button', { name: 'Start the demo' }).click();
  await expect(page.getByRole('button', { name: 'Stop the demo' })).toBeVisible();
  // The demo agent's poll, held at the relay, reaches the page as a bar on the agent lane.
  await expect.poll(async () => (await timeline(page)).bars.filter((b) => b.client === AGENT).length, { message: 'a poll of the demo agent on the agent lane', timeout: 10_000 }).toBeGreaterThan(0);

  const before = await ask(page, 'customerById', '{"id": 1}');
  const answer = page.locator('#relay-answer');
  await expect(answer).toContainText('200');
  await expect(answer).toContainText('"name": "Ada Lovelace"');

  // The relay's and the agent's events come through the workshop's feed: wait for the answer's ticks.
  const after = (ticks: Tick[], lane: number, kind: string) => ticks.filter((t) => t.client === lane && t.kind === kind && t.ok && t.at > before - 100);
  await expect
    .poll(async () => {
      const { ticks } = await timeline(page);
      return [after(ticks, RELAY, 'queued').length, after(ticks, AGENT, 'answer').length, after(ticks, RELAY, 'answered').length].every((n) => n > 0);
    }, { message: 'ticks: queued at the relay, answer posted by the agent, answer handed to the caller', timeout: 10_000 })
    .toBe(true);
  const { bars, ticks } = await timeline(page);
  const query = bars.find((b) => b.client === CALLER && b.started >= before);
  expect(query, 'the caller’s query is a bar on the caller lane').toMatchObject({ outcome: 'message', status: 200 });
  const carried = bars.filter((b) => b.client === AGENT && b.outcome === 'message' && b.ended! >= query!.started - 100 && b.ended! <= query!.ended! + 100);
  const shown = JSON.stringify(bars.map((b) => ({ ...b, started: Math.round(b.started - before), ended: b.ended && Math.round(b.ended - before) })));
  expect(carried.length, `an agent poll that carried the query in, ending while the caller waited; bars (ms from the ask): ${shown}`).toBeGreaterThan(0);
  // The agent reports its answer once the relay has taken it (and handed it over): both after the query was queued.
  const [queued, posted, handed] = [after(ticks, RELAY, 'queued')[0]!, after(ticks, AGENT, 'answer')[0]!, after(ticks, RELAY, 'answered')[0]!];
  expect(queued.at <= handed.at && handed.at <= posted.at, `queued, handed to the caller, then the agent's answer acknowledged: ${JSON.stringify([queued, handed, posted])}`).toBe(true);

  // Three lanes, labelled, with a legend.
  await expect(page.locator('section.demo svg.timeline text.row-label')).toHaveText(['caller', 'relay', 'agent']);
  const legend = page.locator('section.demo ul.legend');
  for (const item of ['answered (200)', 'refused (4xx)', 'carried queries in', 'timed out: it asks again', 'query queued at the relay', 'answer posted by the agent', 'answer handed to the caller']) {
    await expect(legend.getByText(item, { exact: true })).toBeVisible();
  }
  await expect(page.locator('#timeline-summary')).toContainText(/Caller: \d+ queries: [1-9]\d* answered/);

  // Raw SQL: the agent refuses it, and the refusal travels back as a 400.
  await page.getByRole('button', { name: 'Try raw SQL' }).click();
  await expect(answer).toContainText('400');
  await expect(answer).toContainText('unknown query "SELECT * FROM customers"');
  await expect.poll(async () => (await timeline(page)).bars.some((b) => b.client === CALLER && b.outcome === 'refused' && b.status === 400)).toBe(true);

  // HTML in an answer (the agent echoes the parameter it does not know) stays text.
  const attack = '<img src=x onerror=alert(1)>';
  await ask(page, 'customerById', JSON.stringify({ id: 1, [attack]: 1 }));
  await expect(answer).toContainText(`unexpected parameter "${attack}"`);
  await expect(page.locator('section.demo img')).toHaveCount(0);

  await page.locator('section.demo').screenshot({ path: 'test-results/screenshots/lesson-07-timeline.png' });
  await page.getByRole('button', { name: 'Stop the demo' }).click();
  await expect(page.getByRole('button', { name: 'Start the demo' })).toBeVisible();
  expect(errors).toEqual([]);
});
