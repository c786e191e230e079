/**
 * Lesson 09's demo as a learner would use it, in Chromium: three processes of the lesson's
 * server (the reference) on one broker, and lesson 04's clients in the page, one on each.
 * A message posted through one process reaches the clients on all three; "kill -9" kills one,
 * its client moves to another process (a tick on that lane's timeline) and resumes; more
 * messages, through each process and a random one; every client ends with every message
 * exactly once, in order. Checked on the page's data (window.__scale) and its received lists.
 *
 * Twice: on a private redis-server (the workshop of playwright.config.ts), and on the stand-in
 * (a second workshop started here with no redis-server to be found), whose page says so.
 * Without redis-server the first is skipped, loudly, naming the fix — and fails under CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { findLesson } from '../../shared/manifest.ts';
import { redisAvailable } from '../../shared/redis.ts';
import { STAND_IN_NOTE } from '../../shared/scale-demo.ts';
import { needsChromium } from './browser.ts';

needsChromium();

const lesson = findLesson(9);
const missingRedis = redisAvailable();
if (missingRedis && process.env.CI === 'true') throw new Error(`${missingRedis}. Under CI=true a missing redis-server is a failure.`);
const skippedRedis = `\n!!! test/e2e/scale.spec.ts on redis-server is SKIPPED: ${missingRedis}\n`;
if (missingRedis) console.warn(skippedRedis);

interface Seen {
  /** Per client (index 0 = client 1): what it received. */
  received: Array<Array<{ id: number; text: string }>>;
  assigned: string[];
  moves: Array<{ client: number; from: string; to: string; after: number }>;
  /** Per process: its bars (client, outcome) and ticks (client, kind). */
  lanes: Record<string, { bars: Array<{ client: number; outcome?: string }>; ticks: Array<{ client: number; kind: string }> }>;
}

const seen = (page: Page): Promise<Seen> =>
  page.evaluate(() => {
    const scale = (window as unknown as { __scale: Seen }).__scale;
    return {
      received: scale.received.map((list) => list.map((r) => ({ ...r }))),
      assigned: [...scale.assigned],
      moves: scale.moves.map((m) => ({ ...m })),
      lanes: Object.fromEntries(
        Object.entries(scale.lanes).map(([name, timeline]) => [
          name,
          { bars: timeline.bars.map((b) => ({ client: b.client, outcome: b.outcome })), ticks: timeline.ticks.map((t) => ({ client: t.client, kind: t.kind })) },
        ]),
      ),
    };
  });

/** Posts `text` through `through` ('' for a random process) and waits until the page says which process took it. */
async function post(page: Page, text: string, through: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('through').selectOption(through);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  const by = through ? `process ${through}` : 'process [ABC]';
  await expect(page.getByRole('status')).toHaveText(new RegExp(`^Posted "${escape(text)}" through ${by}: message #\\d+\\.$`));
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function scenario(page: Page, base: string, mode: 'redis' | 'stand-in'): Promise<void> {
  expect(lesson?.demo?.kind, 'lesson 09 in shared/manifest.ts has a demo of kind "scale"').toBe('scale');
  const errors: string[] = [];
  page.on('pageerror', (e) => void errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${base}/site/#/lessons/${lesson!.slug}`);
  const modeLine = page.locator('#scale-mode');
  if (mode === 'redis') await expect(modeLine).toContainText('share a private redis-server at redis://127.0.0.1:', { timeout: 20_000 });
  else await expect(modeLine).toContainText(STAND_IN_NOTE, { timeout: 20_000 });
  await page.getByRole('button', { name: 'Start the demo' }).click();
  await expect(page.getByRole('button', { name: 'Stop the demo' })).toBeVisible({ timeout: 20_000 });
  expect((await seen(page)).assigned, 'one client on each process').toEqual(['A', 'B', 'C']);
  for (const name of ['A', 'B', 'C']) {
    await expect.poll(async () => (await seen(page)).lanes[name]!.bars.filter((b) => b.client === 'ABC'.indexOf(name) + 1).length, { message: `client ${'ABC'.indexOf(name) + 1} polls process ${name}` }).toBeGreaterThan(0);
  }

  const tag = `m${Date.now().toString(36)}`;
  const texts = ['one', 'two', 'three', 'four', 'five'].map((n) => `${tag} ${n}`);
  const tagged = async () => (await seen(page)).received.map((list) => list.filter((r) => r.text.startsWith(tag)).map((r) => r.text));

  // One message through A reaches the clients on A, B and C.
  await post(page, texts[0]!, 'A');
  await expect.poll(tagged, { message: 'the message posted through A, on every client' }).toEqual([texts.slice(0, 1), texts.slice(0, 1), texts.slice(0, 1)]);

  // kill -9 B: its client (2) moves to another process and resumes there.
  await page.getByRole('button', { name: 'kill -9 process B' }).click();
  const happened = page.locator('#scale-events li');
  await expect(happened.filter({ hasText: /^Process B killed \(kill -9/ }), 'the kill, in the list of what happened').toHaveCount(1);
  await expect.poll(async () => (await seen(page)).moves.map((m) => [m.client, m.from]), { message: 'client 2 moves away from B', timeout: 10_000 }).toEqual([[2, 'B']]);
  const { moves, assigned } = await seen(page);
  const to = moves[0]!.to;
  expect(['A', 'C']).toContain(to);
  expect(assigned[1], 'client 2 polls the process it moved to').toBe(to);
  await expect(page.locator(`#lane-${to} .process-clients`)).toHaveText(new RegExp(`clients here: .*2`));
  await expect(happened.filter({ hasText: `Client 2 lost process B and moved to process ${to}` })).toHaveCount(1);

  await post(page, texts[1]!, 'C');
  await post(page, texts[2]!, 'A');
  await post(page, texts[3]!, '');
  await expect.poll(tagged, { message: 'every message on every client, once, in order, across the kill', timeout: 15_000 }).toEqual([texts.slice(0, 4), texts.slice(0, 4), texts.slice(0, 4)]);

  // B comes back (the workshop starts it again); a post through it reaches everyone.
  await expect(page.locator('#lane-B .process-state')).toHaveText(mode === 'redis' ? /^running · pid \d+$/ : /^running \(an app on the stand-in, start 2\)$/, { timeout: 20_000 });
  await expect(happened.filter({ hasText: /^Process B runs again \(start 2/ }), 'the restart, in the list of what happened').toHaveCount(1);
  await post(page, texts[4]!, 'B');
  await expect.poll(tagged, { message: 'a message through the restarted B', timeout: 10_000 }).toEqual([texts, texts, texts]);

  const after = await seen(page);
  for (const [index, list] of after.received.entries()) {
    const ids = list.map((r) => r.id);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!), `client ${index + 1}: ids in order, none twice: ${ids.join(', ')}`).toBe(true);
  }
  // The timelines show it: client 2's poll on B failed, and a tick marks its arrival on the other lane.
  expect(after.lanes.B!.bars.some((b) => b.client === 2 && b.outcome === 'error'), 'a failed poll of client 2 on lane B').toBe(true);
  expect(after.lanes[to]!.ticks, `the move, on lane ${to}`).toContainEqual({ client: 2, kind: 'moved' });
  expect(after.lanes[to]!.bars.some((b) => b.client === 2 && b.outcome === 'message'), `client 2's polls go on on lane ${to}`).toBe(true);

  // Each received list shows each message once, as text.
  for (const client of [1, 2, 3]) {
    await expect(page.locator(`#scale-received-${client} li`).filter({ hasText: tag })).toHaveText(texts.map((text) => new RegExp(`^#\\d+ ${text}$`)));
  }
  const attack = `${tag} <img src=x onerror=alert(1)>`;
  await post(page, attack, '');
  await expect(page.locator('#scale-received-3 li').last()).toHaveText(new RegExp(`^#\\d+ ${escape(attack)}$`));
  await expect(page.locator('section.demo img')).toHaveCount(0);
  await page.locator('section.demo').screenshot({ path: `test-results/screenshots/lesson-09-${mode}.png` });

  // On a narrow screen nothing is wider than the screen, and the received lists stack.
  await page.setViewportSize({ width: 400, height: 900 });
  const overflowing = () =>
    page.evaluate(() => [...document.querySelectorAll('header.top, header.top *, section.demo, section.demo *')].filter((e) => e.getBoundingClientRect().right > 400).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}`));
  await expect.poll(overflowing, { message: 'nothing of the top bar or the demo past the right edge at 400 px' }).toEqual([]);
  const [first, second] = [await page.locator('#scale-received-1').boundingBox(), await page.locator('#scale-received-2').boundingBox()];
  expect(second!.y, 'the received lists stack').toBeGreaterThan(first!.y);
  await page.locator('section.demo').screenshot({ path: `test-results/screenshots/lesson-09-${mode}-narrow.png` });

  await page.getByRole('button', { name: 'Stop the demo' }).click();
  await expect(page.getByRole('button', { name: 'Start the demo' })).toBeVisible();
  expect(errors).toEqual([]);
}

test('on redis-server: a message through one process reaches the clients on all three; after a kill -9 every client still gets every message once, in order', async ({ page, baseURL }) => {
  test.skip(missingRedis !== undefined, skippedRedis);
  test.setTimeout(120_000);
  await scenario(page, baseURL!, 'redis');
});

test.describe('without redis-server', () => {
  let workshop: ChildProcess | undefined;
  let base = '';

  test.beforeAll(async () => {
    test.setTimeout(90_000);
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer().once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    // A second workshop, the reference, where no redis-server can be found: it runs the stand-in.
    const child = spawn(process.execPath, ['--import', 'tsx', 'shared/cli/start.ts', '--lang', 'en', '--target', 'solutions', '--port', String(port), '--data', '.workshop/e2e-data-stand-in'], {
      env: { ...process.env, COMET_REDIS_SERVER: '/nonexistent/redis-server' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workshop = child;
    let output = '';
    base = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Comet Workshop: (http:\/\/\S+?)\/ /.exec(output);
        // Once it has listed the lessons: the list says what lesson 09's processes run on.
        if (match && output.includes('Stop with Ctrl+C.')) resolve(match[1]!);
      });
      child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the stand-in workshop exited (${code}) before it listened:\n${output}`)));
    });
    expect(output, 'npm start says the processes run on a stand-in').toContain(STAND_IN_NOTE);
  });

  test.afterAll(async () => {
    const child = workshop;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  });

  test('on the stand-in, labelled so: the same, every client gets every message once, in order', async ({ page }) => {
    test.setTimeout(120_000);
    await scenario(page, base, 'stand-in');
  });
});
