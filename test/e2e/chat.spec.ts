/**
 * The chat, as two people would use it: the two demo users in two browser contexts, a
 * double-click to open the conversation, messages live both ways, HTML shown as text, and
 * presence changing on logout.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { needsChromium } from './browser.ts';

needsChromium();

/** A new browser context on the chat page, logged in (or registered first) as `name`. */
async function enter(browser: Browser, name: string, errors: string[], how: { password: string; button: 'Log in' | 'Register' }): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => void (m.type() === 'error' && errors.push(`${name}: ${m.text()}`)));
  page.on('pageerror', (e) => void errors.push(`${name}: ${e.message}`));
  page.on('dialog', (d) => {
    errors.push(`${name}: a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto('/lessons/05-chat/public/');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(how.password);
  await page.getByRole('button', { name: how.button }).click();
  await expect(page.getByRole('heading', { name: `Logged in as ${name}` })).toBeVisible();
  return page;
}

const logIn = (browser: Browser, name: string, errors: string[]) => enter(browser, name, errors, { password: '12345', button: 'Log in' });
const register = (browser: Browser, name: string, errors: string[]) => enter(browser, name, errors, { password: 'a long enough password', button: 'Register' });

test('two demo users chat live; HTML stays text; logging out shows offline', async ({ browser }) => {
  const errors: string[] = [];
  const liger = await logIn(browser, 'liger_zql', errors);
  const moran = await logIn(browser, '漠然', errors);
  await expect(liger.locator('#friends li.online', { hasText: '漠然' })).toBeVisible();

  await liger.getByRole('option', { name: /漠然/ }).dblclick();
  const attack = 'look <img src=x onerror=alert(1)>';
  await liger.getByLabel('Message').fill(attack);
  await liger.getByRole('button', { name: 'Send' }).click();
  await expect(moran.locator('#friends li', { hasText: 'liger_zql' }).locator('.unread')).toHaveText('1');
  await moran.getByRole('option', { name: /liger_zql/ }).dblclick();
  await expect(moran.locator('#messages li .text', { hasText: attack })).toHaveText(attack);
  await expect(moran.locator('#messages img')).toHaveCount(0);

  await moran.getByLabel('Message').fill('你好 — got it');
  await moran.getByRole('button', { name: 'Send' }).click();
  await expect(liger.locator('#messages li .text', { hasText: '你好 — got it' })).toBeVisible();
  await liger.screenshot({ path: 'test-results/screenshots/chat.png' });

  await moran.getByRole('button', { name: 'Log out' }).click();
  await expect(liger.locator('#friends li.offline', { hasText: '漠然' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a friend request must be accepted before two new users can chat', async ({ browser }) => {
  const errors: string[] = [];
  const suffix = Date.now().toString(36);
  const asker = await register(browser, `ann${suffix}`, errors);
  const asked = await register(browser, `ben${suffix}`, errors);
  await asker.getByLabel('Ask a friend').fill(`ben${suffix}`);
  await asker.getByRole('button', { name: 'Ask' }).click();
  await expect(asker.locator('#friend-note')).toContainText('once they accept');
  await expect(asker.locator('#friends li')).toHaveCount(0);
  // The request arrives live, through ben's held poll.
  await asked.getByRole('button', { name: `Accept ann${suffix}` }).click();
  await expect(asked.getByRole('option', { name: new RegExp(`ann${suffix}`) })).toBeVisible();
  await expect(asker.getByRole('option', { name: new RegExp(`ben${suffix}`) })).toBeVisible();
  await asker.getByRole('option', { name: new RegExp(`ben${suffix}`) }).dblclick();
  await asker.getByLabel('Message').fill('thanks for accepting');
  await asker.getByRole('button', { name: 'Send' }).click();
  await expect(asked.locator('#friends li', { hasText: `ann${suffix}` }).locator('.unread')).toHaveText('1');
  expect(errors).toEqual([]);
});
