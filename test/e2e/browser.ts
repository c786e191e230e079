/**
 * Where the browser is. Browsers cannot be downloaded on this workshop's machines, so the
 * tests use Debian's Chromium (or CHROMIUM_PATH); without it they are skipped, loudly.
 */
import { existsSync } from 'node:fs';
import { test, type Page } from '@playwright/test';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);
export const missingChromium =
  `\n!!! No Chromium at ${chromiumPath}: the browser tests are SKIPPED.\n` +
  '!!! Install it with: apt-get update && apt-get install -y chromium  (or set CHROMIUM_PATH)\n';

/** Call at the top of a spec file: skips its tests, with the fix in the message, when there is no browser. */
export function needsChromium(): void {
  test.skip(!hasChromium, missingChromium);
}

/** Collects what goes wrong on `page`: console errors, uncaught exceptions, and answers of 400 and above. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => void errors.push(e.message));
  page.on('response', (r) => void (r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`)));
  return errors;
}
